// let bindings: computed lazily, at most once per evaluation, visible only in
// their own policy, and only after the bindings they use.

import { describe, expect, it } from 'vitest';
import type { FunctionDecl } from '../../src/cel/library/overload.js';
import { globalOverload } from '../../src/cel/library/overload.js';
import { T } from '../../src/cel/types.js';
import { PolicyLoadError } from '../../src/engine/engine.js';
import { engineOf, matchedIds, policy } from './helpers.js';

/** `probe(x)` returns x and counts its calls (per label, the first argument). */
function probe(): { decl: FunctionDecl; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const decl: FunctionDecl = {
    name: 'probe',
    overloads: [
      globalOverload('probe_string_dyn', [T.string, T.dyn], T.dyn, (label: string, x: unknown) => {
        calls.set(label, (calls.get(label) ?? 0) + 1);
        return x;
      }),
    ],
  };
  return { decl, calls };
}

describe('let bindings', () => {
  it('are computed once per evaluation, however often they are used', async () => {
    const { decl, calls } = probe();
    const engine = await engineOf(
      [
        policy('p', {
          let: { cost: "probe('cost', request.max_tokens * 2.0)", unused: "probe('unused', request.max_tokens)" },
          rules: [
            { id: 'a', when: 'cost > 10.0', decision: 'warn', reason: 'cost ${cost}', suggest: { note: 'cost=${cost}' } },
            { id: 'b', when: 'cost > 20.0 && cost < 1000.0', decision: 'modify', modify: [{ clamp: 'request.max_tokens', max: 'cost / 2.0 - 1.0' }, { set: 'request.cost', expr: 'cost' }] },
            { id: 'c', when: 'cost > 30.0', unless: 'cost > 10000.0', decision: 'modify', suggest: { again: '${cost}' }, modify: [{ clamp: 'request.max_tokens', max: 'cost' }] },
          ],
        }),
      ],
      { configure: (b) => b.withFunction(decl) },
    );
    const d = engine.evaluateSync({ request: { max_tokens: 50 } });
    expect(d.decision).toBe('modify');
    expect(d.obligations.suggestions.map((s) => s.values)).toEqual([{ note: 'cost=100' }, { again: '100' }]);
    expect(d.obligations.max_tokens).toBe(49);
    // Conditions, reasons, suggestions and modify values all used `cost`: one computation.
    expect(calls.get('cost')).toBe(1);
    // Never used: never computed.
    expect(calls.get('unused')).toBeUndefined();

    engine.evaluateSync({ request: { max_tokens: 1 } });
    expect(calls.get('cost')).toBe(2); // once more: a new evaluation
  });

  it('are computed once per evaluation when obligations of several policies are rendered after all of them ran', async () => {
    const { decl, calls } = probe();
    const engine = await engineOf(
      [
        policy('first', {
          priority: 2,
          let: { x: "probe('x', request.n + 1.0)" },
          rules: [{ id: 'r', when: 'x > 0.0', decision: 'modify', suggest: { x: '${x}' }, modify: [{ set: 'request.x', expr: 'x' }] }],
        }),
        policy('second', {
          priority: 1,
          let: { y: "probe('y', request.n + 2.0)" },
          rules: [{ id: 'r', when: 'y > 0.0', decision: 'modify', suggest: { y: '${y}' }, modify: [{ set: 'request.y', expr: 'y' }] }],
        }),
      ],
      { configure: (b) => b.withFunction(decl) },
    );
    const d = engine.evaluateSync({ request: { n: 1 } });
    expect(d.obligations.suggestions.map((s) => s.values)).toEqual([{ x: '2' }, { y: '3' }]);
    expect(d.obligations.modifications.map((m) => (m.op === 'set' ? [m.path, m.value] : m.op))).toEqual([
      ['request.x', 2],
      ['request.y', 3],
    ]);
    expect(Object.fromEntries(calls)).toEqual({ x: 1, y: 1 });
  });

  it('are not computed when the policy does not apply', async () => {
    const { decl, calls } = probe();
    const engine = await engineOf(
      [policy('p', { target: "environment == 'prod'", let: { v: "probe('v', 1.0 + request.n)" }, rules: [{ id: 'r', when: 'v > 0.0', decision: 'deny' }] })],
      { configure: (b) => b.withFunction(decl) },
    );
    expect(engine.evaluateSync({ environment: 'dev', request: { n: 1 } }).decision).toBe('allow');
    expect(calls.get('v')).toBeUndefined();
  });

  it('keep a failure: a failing binding is computed once and fails every use', async () => {
    const { decl, calls } = probe();
    const engine = await engineOf(
      [
        policy('p', {
          let: { bad: "probe('bad', request.missing) + 1.0" },
          rules: [
            { id: 'a', when: 'bad > 1.0', decision: 'warn' },
            { id: 'b', when: 'bad > 2.0', decision: 'deny' },
          ],
        }),
      ],
      { configure: (b) => b.withFunction(decl) },
    );
    const d = engine.evaluateSync({ request: {} });
    // request.missing fails before probe() is called; the failure is remembered.
    expect(calls.get('bad')).toBeUndefined();
    expect(d.errors.map((e) => [e.rule, e.part, e.effect])).toEqual([
      ['a', 'when', 'matched'],
      ['b', 'when', 'matched'],
    ]);
    expect(d.decision).toBe('deny');
  });

  it('may use the bindings above them', async () => {
    const engine = await engineOf([
      policy('p', {
        let: { a: 'request.n * 2.0', b: 'a + 1.0', c: 'b * a' },
        rules: [{ id: 'r', when: 'c == 42.0', decision: 'deny', reason: 'a=${a} b=${b} c=${c}' }],
      }),
    ]);
    const d = engine.evaluateSync({ request: { n: 3 } });
    expect(d.decision).toBe('deny');
    expect(d.reason).toBe('a=6 b=7 c=42');
  });

  it('using a later binding is a compile error', async () => {
    const build = engineOf([policy('p', { let: { a: 'b + 1.0', b: 'request.n' }, rules: [{ id: 'r', when: 'a > 1.0', decision: 'deny' }] })]);
    await expect(build).rejects.toBeInstanceOf(PolicyLoadError);
    const err = (await build.catch((e: unknown) => e)) as PolicyLoadError;
    const errors = err.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]!).toMatchObject({ policy: 'p', pos: { file: 'policies.yaml' } });
    expect(errors[0]!.message).toMatch(/let a/);
    expect(errors[0]!.message).toMatch(/'b'/);
  });

  it('a binding using itself is a compile error', async () => {
    await expect(engineOf([policy('p', { let: { a: 'a + 1.0' }, rules: [{ id: 'r', when: 'a > 1.0', decision: 'deny' }] })])).rejects.toBeInstanceOf(PolicyLoadError);
  });

  it('are visible only within their policy', async () => {
    const build = engineOf([
      policy('owner', { let: { secret: 'request.n' }, rules: [{ id: 'r', when: 'secret > 1.0', decision: 'warn' }] }),
      policy('other', { rules: [{ id: 'r', when: 'secret > 1.0', decision: 'deny' }] }),
    ]);
    const err = (await build.catch((e: unknown) => e)) as PolicyLoadError;
    expect(err).toBeInstanceOf(PolicyLoadError);
    expect(err.diagnostics.filter((d) => d.severity === 'error')).toEqual([
      expect.objectContaining({ code: 'cel-undeclared', policy: 'other', rule: 'r' }),
    ]);
  });

  it('of the same name in two policies are independent', async () => {
    const engine = await engineOf([
      policy('one', { priority: 2, let: { v: 'request.a' }, rules: [{ id: 'r', when: 'v == 1.0', decision: 'warn', reason: 'one: ${v}' }] }),
      policy('two', { priority: 1, let: { v: 'request.b' }, rules: [{ id: 'r', when: 'v == 2.0', decision: 'warn', reason: 'two: ${v}' }] }),
    ]);
    const d = engine.evaluateSync({ request: { a: 1, b: 2 } });
    expect(matchedIds(d)).toEqual(['one/r', 'two/r']);
    expect(d.matched.map((m) => m.reason)).toEqual(['one: 1', 'two: 2']);
  });
});
