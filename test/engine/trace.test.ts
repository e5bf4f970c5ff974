// Traces ({ trace: true }): one entry per rule with its result, a sentence
// saying why, and the values its conditions read; and explainDecision.

import { describe, expect, it } from 'vitest';
import type { Decision, TraceEntry } from '../../src/engine/decision.js';
import { explainDecision } from '../../src/engine/explain.js';
import { comparable, engineOf, policy } from './helpers.js';

const budget = policy('budget', {
  priority: 10,
  let: {
    // Node ids restart at 1 in every expression: these collide with the conditions' ids
    // unless trace keys are kept apart per expression.
    spent: 'user.budget.monthly_spent',
    est: 'request.max_tokens * 0.01',
    over: 'spent + est > user.budget.monthly_limit',
  },
  rules: [
    {
      id: 'monthly',
      when: 'user.budget.monthly_spent + est > user.budget.monthly_limit',
      unless: "'budget.override' in user.permissions",
      decision: 'deny',
      reason: 'Monthly budget of $${user.budget.monthly_limit} reached',
    },
    { id: 'lets-only', when: 'over && spent > 50.0', decision: 'warn' },
    { id: 'not-matched', when: 'request.max_tokens > 100000.0', decision: 'deny' },
    { id: 'exempt', when: 'true', unless: "user.tier == 'free'", decision: 'throttle' },
    { id: 'fails', when: 'request.missing.field == 1.0', decision: 'warn' },
    { id: 'unconditional', decision: 'allow', mode: 'shadow' },
  ],
});

const regional = policy('regional', {
  target: "request.region.startsWith('eu-')",
  rules: [
    { id: 'a', when: 'true', decision: 'warn' },
    { id: 'b', when: 'false', decision: 'warn' },
  ],
});

const failingTarget = policy('open', { fail_open: true, target: 'request.nothing.here', rules: [{ id: 'r', decision: 'deny' }] });

const ctx = {
  request: { max_tokens: 100, region: 'us-east-1' },
  user: { tier: 'free', permissions: ['x'], budget: { monthly_spent: 99.5, monthly_limit: 100 } },
};

function entry(d: Decision, id: string): TraceEntry {
  const e = d.trace!.find((t) => `${t.policy}/${t.rule}` === id);
  if (!e) throw new Error(`no trace entry for ${id}`);
  return e;
}

function inputs(e: TraceEntry, part = 'when'): Record<string, string> {
  return Object.fromEntries(e.conditions.find((c) => c.part === part)!.inputs.map((i) => [i.expression, i.value]));
}

describe('traces', () => {
  it('gives one entry per rule, in evaluation order, with its result', async () => {
    const engine = await engineOf([budget, regional, failingTarget]);
    const d = await engine.evaluate(ctx, { trace: true });
    expect(d.trace!.map((t) => [`${t.policy}/${t.rule}`, t.result])).toEqual([
      ['budget/monthly', 'matched'],
      ['budget/lets-only', 'matched'],
      ['budget/not-matched', 'not_matched'],
      ['budget/exempt', 'not_matched'],
      ['budget/fails', 'error'],
      ['budget/unconditional', 'matched'],
      ['open/r', 'skipped'],
      ['regional/a', 'skipped'],
      ['regional/b', 'skipped'],
    ]);
    // The trace explains; it does not change the decision.
    const plain = engine.evaluateSync(ctx);
    const { trace: _t, ...rest } = comparable(d);
    expect(rest).toEqual(comparable(plain));
    expect(plain.trace).toBeUndefined();
  });

  it('says why, with the condition values and the inputs they read', async () => {
    const engine = await engineOf([budget, regional, failingTarget]);
    const d = engine.evaluateSync(ctx, { trace: true });
    const monthly = entry(d, 'budget/monthly');
    expect(monthly.mode).toBe('enforce');
    expect(monthly.why).toBe("when `user.budget.monthly_spent + est > user.budget.monthly_limit` is true and unless `'budget.override' in user.permissions` is false");
    expect(monthly.conditions.map((c) => [c.part, c.value])).toEqual([
      ['when', 'true'],
      ['unless', 'false'],
    ]);
    expect(inputs(monthly)).toEqual({ 'user.budget.monthly_spent': '99.5', est: '1.0', 'user.budget.monthly_limit': '100.0' });
    expect(inputs(monthly, 'unless')).toEqual({ 'user.permissions': "['x']" });

    expect(entry(d, 'budget/not-matched').why).toBe('when `request.max_tokens > 100000.0` is false');
    expect(inputs(entry(d, 'budget/not-matched'))).toEqual({ 'request.max_tokens': '100.0' });
    expect(entry(d, 'budget/exempt').why).toBe("unless `user.tier == 'free'` is true, which exempts the request");
    expect(entry(d, 'budget/unconditional')).toMatchObject({ mode: 'shadow', why: 'the rule has no condition (shadow: reported, not enforced)', conditions: [] });

    const fails = entry(d, 'budget/fails');
    expect(fails.why).toBe('when failed: no such key: missing; counted as matched (fail closed)');
    expect(fails.conditions[0]!.value).toBe('<error: no such key: missing>');
    expect(inputs(fails)).toEqual({ 'request.missing.field': '<error: no such key: missing>' });

    expect(entry(d, 'regional/a').why).toBe("the policy's target `request.region.startsWith('eu-')` is false");
    expect(inputs(entry(d, 'regional/a'), 'target')).toEqual({ "request.region.startsWith('eu-')": 'false', 'request.region': "'us-east-1'" });
    expect(entry(d, 'open/r').why).toBe("the policy's target failed (no such key: nothing) and the policy is fail_open");
  });

  it('shows the values of let bindings, including bindings computed by an earlier condition', async () => {
    const engine = await engineOf([budget]);
    const d = engine.evaluateSync(ctx, { trace: true });
    // `est` was computed while tracing `monthly`; `lets-only` reads `over` and `spent`.
    expect(inputs(entry(d, 'budget/lets-only'))).toEqual({ over: 'true', spent: '99.5' });
    const low = engine.evaluateSync({ ...ctx, user: { ...ctx.user, budget: { monthly_spent: 10, monthly_limit: 100 } } }, { trace: true });
    expect(inputs(entry(low, 'budget/monthly'))).toEqual({ 'user.budget.monthly_spent': '10.0', est: '1.0', 'user.budget.monthly_limit': '100.0' });
    expect(inputs(entry(low, 'budget/lets-only'))).toEqual({ over: 'false', spent: '<not evaluated>' });
  });

  it('keeps the values of let bindings and conditions apart when their node ids coincide', async () => {
    const engine = await engineOf([
      policy('ids', {
        let: { b: 'request.b', c: "request.c + 'x'" },
        rules: [{ id: 'r', when: "request.a == 1.0 && b == 2.0 && c == '3x' && request.d == 4.0", decision: 'deny' }],
      }),
    ]);
    const d = engine.evaluateSync({ request: { a: 1, b: 2, c: '3', d: 4 } }, { trace: true });
    expect(d.trace![0]!.result).toBe('matched');
    expect(inputs(d.trace![0]!)).toEqual({ 'request.a': '1.0', b: '2.0', c: "'3x'", 'request.d': '4.0' });
  });

  it('does not record comprehension variables as inputs', async () => {
    const engine = await engineOf([policy('p', { rules: [{ id: 'r', when: "request.tools.exists(t, t.type == 'code')", decision: 'warn' }] })]);
    const d = engine.evaluateSync({ request: { tools: [{ type: 'web' }, { type: 'code' }] } }, { trace: true });
    expect(inputs(d.trace![0]!)).toEqual({ 'request.tools': "[{'type': 'web'}, {'type': 'code'}]" });
  });

  it('bypasses the decision cache', async () => {
    const engine = await engineOf([budget], { cache: true });
    engine.evaluateSync(ctx);
    expect(engine.evaluateSync(ctx).cached).toBe(true);
    const traced = engine.evaluateSync(ctx, { trace: true });
    expect(traced.cached).toBe(false);
    expect(traced.trace).toHaveLength(6);
  });
});

describe('explainDecision', () => {
  it('states the decision, the reason, the matches, obligations, errors and the trace', async () => {
    const engine = await engineOf([
      budget,
      policy('shape', {
        rules: [{ id: 'clamp', when: 'true', decision: 'modify', suggest: { model: 'mini' }, modify: [{ clamp: 'request.max_tokens', max: 64 }] }],
      }),
    ]);
    const d = engine.evaluateSync(ctx, { trace: true });
    const text = explainDecision(d);
    expect(text.split('\n')[0]).toBe('DENY: Monthly budget of $100 reached');
    expect(text).toContain(`revision: ${d.revision}`);
    expect(text).toContain(`id: ${d.decision_id}`);
    expect(text).toContain('deny     budget/monthly [high]: Monthly budget of $100 reached');
    expect(text).toContain('warn     budget/fails [low]: budget/fails  (condition failed: no such key: missing; fail closed)');
    expect(text).toContain('Shadow rules that matched (reported, not enforced):');
    expect(text).toContain('allow    budget/unconditional [info]');
    expect(text).toContain('suggest model=mini  (shape/clamp)');
    expect(text).toMatch(/budget\/fails when: no such key: missing at policies\.yaml:\d+:\d+ -> the rule counted as matched \(fail closed\)/);
    expect(text).toContain('MATCHED     budget/monthly: when `user.budget.monthly_spent + est > user.budget.monthly_limit` is true');
    expect(text).toContain('      user.budget.monthly_spent = 99.5');
    expect(text).toContain('NOT_MATCHED budget/not-matched');
    // deny: no request changes.
    expect(text).not.toContain('clamp request.max_tokens');
  });

  it('explains a modify decision and the default', async () => {
    const engine = await engineOf([
      policy('shape', {
        rules: [{ id: 'clamp', when: 'request.big', decision: 'modify', modify: [{ clamp: 'request.max_tokens', max: 64 }, { set: 'request.model', value: 'mini' }] }],
      }),
    ]);
    const m = explainDecision(engine.evaluateSync({ request: { big: true } }));
    expect(m).toContain('MODIFY: shape/clamp');
    expect(m).toContain('clamp request.max_tokens to <= 64  (shape/clamp)');
    expect(m).toContain('set request.model = "mini"  (shape/clamp)');
    expect(m).toContain('max_tokens: at most 64');
    const a = explainDecision(engine.evaluateSync({ request: { big: false } }));
    expect(a).toContain('ALLOW: no policy rule matched: allowed by default');
    expect(a).toContain('No enforced rule matched.');
  });
});
