// When limits cannot be computed or checked: expression errors in limit and
// budget fields follow the policy's fail_open; an unreachable store follows
// the engine's fail mode (closed by default); evaluateSync refuses
// asynchronous stores.

import { describe, expect, test } from 'vitest';
import type { PolicyEngine } from '../../src/engine/engine.js';
import { MemoryLimitStore } from '../../src/limits/memory-store.js';
import { AsyncStore, BrokenStore, SpyStore, T0, engineOf, matches, policy, traceOf } from '../limits/helpers.js';

type Obj = Record<string, unknown>;

const USAGE = { model: 'request.model', input_tokens: 'request.input', output_tokens: 'request.max_tokens' };
const req = (r: Obj = {}) => ({ user: { id: 'u1' }, request: { model: 'big', input: 10, max_tokens: 50, cost: 0.1, ...r } });
const rpm = (requests = 5) => ({ id: 'rpm', limit: { key: 'user.id', requests, window: '1m' }, decision: 'throttle' });

function run(e: PolicyEngine, ctx: Obj, trace = false) {
  return e.evaluateSync(ctx, { now: T0, ...(trace ? { trace: true } : {}) });
}

// Values of the wrong type come from the context (untyped without a schema):
// literals of the wrong type are refused at load (limits-loader.test.ts).
describe('expression errors follow the policy fail_open', () => {
  const limit = (l: Obj) => ({ id: 'bad', limit: { key: 'user.id', window: '1m', ...l }, decision: 'throttle' });
  const budget = (b: Obj) => ({ id: 'bad', budget: { key: 'user.id', limit: 1, period: 'day', ...b }, decision: 'deny' });
  const cases: [string, Obj, string, RegExp][] = [
    ['limit.key', limit({ key: 'user.missing', requests: 1 }), 'limit.key', /missing/],
    ['limit.cost', limit({ cost: 'user.id', max: 10 }), 'limit.cost', /limit.cost must be a number, got string/],
    ['limit.max', limit({ cost: '1', max: 'user.quota' }), 'limit.max', /quota/],
    ['budget.key', budget({ key: 'user.team.id', amount: '1' }), 'budget.key', /team/],
    ['budget.limit', budget({ limit: 'user.id', amount: '1' }), 'budget.limit', /budget.limit must be a number, got string/],
    ['budget.amount', budget({ amount: '1.0 / 0.0 * 0.0' }), 'budget.amount', /finite/],
    ['budget.usage.model', budget({ usage: { ...USAGE, model: 'request.input' } }), 'budget.usage.model', /must be a string, got double/],
    ['budget.usage.input_tokens', budget({ usage: { ...USAGE, input_tokens: 'request.nope' } }), 'budget.usage.input_tokens', /nope/],
  ];

  test.each(cases)('%s: fail closed — the rule matches with the error, and the other limits count nothing', async (_name, rule, part, message) => {
    const spy = new SpyStore();
    const e = await engineOf([policy('p', [rule, rpm()])], { store: spy });
    const d = run(e, req(), true);
    expect(d.decision).toBe((rule as { decision: string }).decision);
    expect(d.matched).toEqual([expect.objectContaining({ rule: 'bad', error: expect.stringMatching(new RegExp(`^the (limit|budget) could not be computed: .*${message.source}`)) })]);
    // Not the rule's own reason: the limit was not reached, it could not be computed.
    expect(d.reason).toMatch(/^(Denied|Throttled): the (limit|budget) could not be computed \(fail closed\): /);
    expect(d.errors).toEqual([expect.objectContaining({ policy: 'p', rule: 'bad', part, effect: 'matched', message: expect.stringMatching(message) })]);
    expect(d.errors[0]!.pos).toMatchObject({ file: 'x.yaml', line: 1 });
    // A refused request: the rate limit was not even asked.
    expect(spy.calls).toHaveLength(0);
    expect(traceOf(d, 'rpm').why).toMatch(/^not checked: the request is already refused/);
  });

  test.each(cases)('%s: fail open — the rule is skipped, the other limits still count', async (_name, rule, part) => {
    const spy = new SpyStore();
    const e = await engineOf([policy('p', [rule, rpm(1)], { fail_open: true })], { store: spy });
    const d = run(e, req());
    expect(d.decision).toBe('allow');
    expect(d.matched).toEqual([]);
    expect(d.errors).toEqual([expect.objectContaining({ rule: 'bad', part, effect: 'not_matched' })]);
    expect(run(e, req()).decision).toBe('throttle');
  });

  test('the error position points at the expression that failed, also for a value of the wrong type', async () => {
    const yaml = [
      'apiVersion: policy.llm/v1',
      'kind: Policy',
      'metadata: { name: p }',
      'spec:',
      '  rules:',
      '    - id: bad',
      '      limit:',
      '        key: "user.id"',
      '        cost: "request.tokens * 2"',
      '        max: 10',
      '        window: 1m',
      '      decision: throttle',
      '    - id: worse',
      '      budget:',
      '        key: "user.id"',
      '        limit: "user.name"',
      '        period: day',
      '        amount: "1"',
      '      decision: deny',
      '',
    ].join('\n');
    const e = await engineOf(yaml);
    const d = run(e, { user: { id: 'u1', name: 'Ann' }, request: {} });
    expect(d.errors).toEqual([
      expect.objectContaining({ rule: 'bad', part: 'limit.cost', message: 'no such key: tokens', pos: { file: 'x.yaml', line: 9, column: 16 } }),
      expect.objectContaining({ rule: 'worse', part: 'budget.limit', message: 'budget.limit must be a number, got string', pos: { file: 'x.yaml', line: 16, column: 17 } }),
    ]);
  });
});

describe('an unreachable limit store', () => {
  const rules = [rpm(1), { id: 'usd', budget: { key: 'user.id', limit: 1, period: 'day', amount: 'request.cost' }, decision: 'deny' }];

  test('fail closed (the default): the limit rules match, the errors say why, stats count it', async () => {
    const store = new BrokenStore();
    const e = await engineOf([policy('p', rules)], { store });
    const d = run(e, req(), true);
    expect(d.decision).toBe('deny');
    expect(matches(d)).toEqual(['p/rpm:throttle', 'p/usd:deny']);
    expect(d.matched[0]).toMatchObject({ reason: 'Throttled: the limit store is unavailable (fail closed)', error: 'limit store (broken) unavailable: connection refused' });
    expect(d.errors).toEqual([
      expect.objectContaining({ rule: 'rpm', part: 'limit', effect: 'matched', message: 'limit store (broken) unavailable: connection refused' }),
      expect.objectContaining({ rule: 'usd', part: 'budget', effect: 'matched' }),
    ]);
    expect(traceOf(d, 'rpm')).toMatchObject({ result: 'matched', why: 'limit store (broken) unavailable: connection refused; failing closed: counted as exceeded' });
    expect(e.stats().limits.storeErrors).toBe(1);
    run(e, req());
    expect(e.stats().limits.storeErrors).toBe(2);
    // The engine tries again on every evaluation: it recovers when the store does.
    store.down = false;
    expect(run(e, req()).decision).toBe('allow');
    expect(run(e, req()).decision).toBe('throttle');
    expect(e.stats().limits.storeErrors).toBe(2);
  });

  test('fail open: the limit rules are skipped, with the errors listed', async () => {
    const store = new BrokenStore();
    const e = await engineOf([policy('p', rules)], { store, failMode: 'open' });
    const d = run(e, req(), true);
    expect(d.decision).toBe('allow');
    expect(d.matched).toEqual([]);
    expect(d.errors.map((x) => [x.rule, x.effect])).toEqual([['rpm', 'not_matched'], ['usd', 'not_matched']]);
    expect(traceOf(d, 'usd').why).toBe('limit store (broken) unavailable: connection refused; failing open: not checked');
    expect(e.stats().limits.storeErrors).toBe(1);
  });

  test('an asynchronous store that rejects is handled the same way', async () => {
    const closed = await engineOf([policy('p', rules)], { store: new BrokenStore(false) });
    expect((await closed.evaluate(req(), { now: T0 })).decision).toBe('deny');
    const open = await engineOf([policy('p', rules)], { store: new BrokenStore(false), failMode: 'open' });
    const d = await open.evaluate(req(), { now: T0 });
    expect(d.decision).toBe('allow');
    expect(d.errors).toHaveLength(2);
    expect(open.stats().limits.storeErrors).toBe(1);
  });

  test('a bad fail mode is refused when configured', async () => {
    const { PolicyEngine } = await import('../../src/engine/engine.js');
    expect(() => PolicyEngine.builder().withLimitStore(new MemoryLimitStore(), { failMode: 'sometimes' as 'open' })).toThrow(/failMode must be open or closed/);
  });
});

describe('synchronous and asynchronous stores', () => {
  test('evaluateSync with an asynchronous store throws a clear error; evaluate works', async () => {
    const e = await engineOf([policy('p', [rpm(1)])], { store: new AsyncStore() });
    expect(() => e.evaluateSync(req(), { now: T0 })).toThrow('these policies have limits or budgets kept in the async limit store, which needs I/O: use evaluate()');
    expect((await e.evaluate(req(), { now: T0 })).decision).toBe('allow');
    expect((await e.evaluate(req(), { now: T0 })).decision).toBe('throttle');
  });

  test('policy sets without limits still evaluate synchronously with any store', async () => {
    const e = await engineOf([policy('p', [{ id: 'x', when: 'request.input > 5', decision: 'warn' }])], { store: new AsyncStore() });
    expect(e.evaluateSync(req()).decision).toBe('warn');
  });

  test('settling through an asynchronous store', async () => {
    const e = await engineOf([policy('p', [{ id: 'usd', budget: { key: 'user.id', limit: 1, period: 'day', amount: 'request.cost' }, decision: 'deny' }])], { store: new AsyncStore(() => 2) });
    const a = await e.evaluate(req({ cost: 0.9 }), { now: T0 });
    expect((await e.evaluate(req({ cost: 0.9 }), { now: T0 })).decision).toBe('deny');
    expect(await e.reportUsage(a.decision_id, { cost: 0.1 })).toEqual({ found: true, settled: 1 });
    expect((await e.evaluate(req({ cost: 0.9 }), { now: T0 })).decision).toBe('allow');
  });
});
