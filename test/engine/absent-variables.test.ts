import { describe, expect, it } from 'vitest';
import { CelEnv } from '../../src/cel/env.js';
import { CelError } from '../../src/cel/errors.js';
import { engineOf, policy } from './helpers.js';

// A top-level variable missing from the context reads as an empty map in
// policies (so has() can test for it); in a plain CelEnv it stays an error.
describe('absent top-level variables', () => {
  const docs = [
    policy('teams', {
      rules: [
        { id: 'has-team-budget', when: 'has(team.budget)', decision: 'warn' },
        { id: 'over-budget', when: 'team.budget.spent > 10.0', decision: 'deny' },
        { id: 'no-team', when: 'size(team) == 0', decision: 'warn' },
      ],
    }),
  ];

  it('has() on a field of an absent variable is false, not an error', async () => {
    const engine = await engineOf(docs);
    const d = await engine.evaluate({ user: { id: 'u' } });
    expect(d.matched.map((m) => m.rule)).toEqual(['over-budget', 'no-team']);
    // Reading a field of the empty map is still a no-such-key error (fail closed: matched).
    expect(d.errors).toHaveLength(1);
    expect(d.errors[0]).toMatchObject({ rule: 'over-budget', part: 'when', effect: 'matched' });
    expect(d.errors[0]!.message).toContain('no such key: budget');
  });

  it('a present variable is read as usual', async () => {
    const engine = await engineOf(docs);
    const d = await engine.evaluate({ team: { budget: { spent: 11 } } });
    expect(d.matched.map((m) => m.rule)).toEqual(['has-team-budget', 'over-budget']);
    expect(d.errors).toEqual([]);
  });

  it('the cache keeps an absent variable and an empty one apart without changing decisions', async () => {
    const engine = await engineOf(docs, { cache: true });
    const a = await engine.evaluate({});
    const b = await engine.evaluate({ team: {} });
    expect(b.matched).toEqual(a.matched);
    expect((await engine.evaluate({})).cached).toBe(true);
  });

  it('a plain CelEnv keeps standard CEL: an absent variable is an error', () => {
    const env = new CelEnv({ variables: { team: { kind: 'dyn' } } });
    expect(env.program('has(team.budget)').evalResult({})).toBeInstanceOf(CelError);
    const lenient = new CelEnv({ variables: { team: { kind: 'dyn' } }, absentVariables: 'empty' });
    expect(lenient.program('has(team.budget)').eval({})).toBe(false);
  });
});

describe('presence reads', () => {
  it('has(metadata.trace_id) keys on presence only: different trace ids share a cache entry', async () => {
    const engine = await engineOf(
      [policy('tracing', { rules: [{ id: 'missing-trace', when: '!has(metadata.trace_id)', decision: 'warn' }] })],
      { cache: true },
    );
    const a = await engine.evaluate({ metadata: { trace_id: 'a1' } });
    const b = await engine.evaluate({ metadata: { trace_id: 'b2' } });
    const c = await engine.evaluate({ metadata: {} });
    expect([a.cached, b.cached, c.cached]).toEqual([false, true, false]);
    expect([a.decision, b.decision, c.decision]).toEqual(['allow', 'allow', 'warn']);
    // Presence of an own key holding null still counts as present; a non-object parent is its own case.
    expect((await engine.evaluate({ metadata: { trace_id: null } })).decision).toBe('allow');
    expect((await engine.evaluate({ metadata: 'x' })).errors).toHaveLength(1);
  });
});
