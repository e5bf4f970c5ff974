// Budgets through the engine: calendar periods in UTC and in time zones,
// rolling periods, amount vs usage (priced with the test price table), token
// budgets, warn_at, on_exceed: clamp, cheaper-model suggestions and limits
// taken from the context.

import { describe, expect, test } from 'vitest';
import type { PolicyEngine } from '../../src/engine/engine.js';
import { DAY, HOUR, MINUTE, SpyStore, T0, engineOf, matches, policy, price } from '../limits/helpers.js';

type Obj = Record<string, unknown>;

const budget = (b: Obj, rule: Obj = {}, spec: Obj = {}) =>
  policy('budgets', [{ id: 'spend', budget: { key: 'user.id', ...b }, decision: 'deny', reason: 'Budget of ${user.id} spent', ...rule }], spec);

/** A request: `cost` is read by `amount`, model and tokens by `usage`. */
const req = (r: Obj = {}, u: Obj = {}) => ({ user: { id: 'u1', ...u }, request: { model: 'big', input: 100, max_tokens: 50, cost: 0.4, ...r } });

const USAGE = { model: 'request.model', input_tokens: 'request.input', output_tokens: 'request.max_tokens' };

function run(e: PolicyEngine, ctx: Obj, at: number) {
  return e.evaluateSync(ctx, { now: at });
}

describe('calendar periods', () => {
  test('day in UTC: the budget refuses what does not fit, and a new day starts empty', async () => {
    const e = await engineOf([budget({ limit: 1.0, period: 'day', amount: 'request.cost' })]);
    // Settled use stays for the whole period (unsettled estimates would lapse after 10 minutes).
    for (const at of [T0, T0 + 1]) {
      const a = run(e, req(), at);
      expect(a.decision).toBe('allow');
      expect(await e.reportUsage(a.decision_id, { cost: 0.4 })).toEqual({ found: true, settled: 1 });
    }
    const d = run(e, req(), T0 + 2);
    expect(d).toMatchObject({ decision: 'deny', allowed: false, reason: 'Budget of u1 spent' });
    expect(matches(d)).toEqual(['budgets/spend:deny']);
    expect(d.obligations.retry_after_ms).toBeUndefined();
    // 0.8 spent: 0.2 still fits.
    expect(run(e, req({ cost: 0.2 }), T0 + 3).decision).toBe('allow');
    expect(run(e, req({ cost: 0.000001 }), T0 + 4).decision).toBe('deny');
    // Next UTC day (T0 is 10:00 UTC).
    expect(run(e, req(), T0 + 14 * HOUR - 1).decision).toBe('deny');
    expect(run(e, req(), T0 + 14 * HOUR).decision).toBe('allow');
  });

  test('a throttle budget retries when the period ends', async () => {
    const e = await engineOf([budget({ limit: 1.0, period: 'day', amount: 'request.cost', reservation_ttl: '1d' }, { decision: 'throttle' })]);
    run(e, req({ cost: 1 }), T0);
    const d = run(e, req(), T0 + 30 * MINUTE);
    expect(d.decision).toBe('throttle');
    expect(d.obligations.retry_after_ms).toBe(14 * HOUR - 30 * MINUTE);
  });

  test('amounts are exact: estimates round up to a micro-dollar, limits round down', async () => {
    // A limit of 1.9 micro-dollars is 1; an estimate of 0.2 micro-dollars is 1.
    const e = await engineOf([budget({ limit: 0.0000019, period: 'day', amount: 'request.cost' })]);
    expect(run(e, req({ cost: 0.0000002 }), T0).decision).toBe('allow');
    expect(run(e, req({ cost: 0.0000002 }), T0).decision).toBe('deny');
    // Sums of decimals do not drift: ten times 0.1 fill a budget of 1 exactly.
    const f = await engineOf([budget({ limit: 1, period: 'day', amount: 'request.cost' })]);
    for (let i = 0; i < 10; i++) expect(run(f, req({ cost: 0.1 }), T0).decision).toBe('allow');
    expect(run(f, req({ cost: 0.000001 }), T0).decision).toBe('deny');
  });

  test('week: ISO, Monday to Sunday in UTC', async () => {
    const e = await engineOf([budget({ limit: 100, unit: 'tokens', period: 'week', amount: 'request.input', reservation_ttl: '8d' }, { decision: 'throttle' })]);
    const monday = T0 - 10 * HOUR; // 2026-03-02T00:00Z
    expect(run(e, req({ input: 100 }), monday).decision).toBe('allow');
    const sunday = monday + 7 * DAY - 1;
    const d = run(e, req({ input: 1 }), sunday);
    expect(d.decision).toBe('throttle');
    expect(d.obligations.retry_after_ms).toBe(1);
    expect(run(e, req({ input: 100 }), monday + 7 * DAY).decision).toBe('allow');
  });

  test('month in a time zone: the period changes at local midnight of the 1st', async () => {
    const e = await engineOf([budget({ limit: 100, unit: 'tokens', period: 'month', timezone: 'America/New_York', amount: 'request.input', reservation_ttl: '1h' }, { decision: 'throttle' })]);
    // 2026-04-01T03:30Z is 23:30 on 31 March in New York (EDT, -04:00).
    const late = Date.parse('2026-04-01T03:30:00Z');
    expect(run(e, req({ input: 100 }), late).decision).toBe('allow');
    const d = run(e, req({ input: 1 }), late + 1);
    expect(d.decision).toBe('throttle');
    expect(d.obligations.retry_after_ms).toBe(30 * MINUTE - 1);
    expect(run(e, req({ input: 100 }), Date.parse('2026-04-01T04:00:00Z')).decision).toBe('allow');
  });

  test('day in Europe/Paris: a new budget at local midnight, and a 23-hour day when clocks go forward', async () => {
    const e = await engineOf([budget({ limit: 1, unit: 'tokens', period: 'day', timezone: 'Europe/Paris', amount: '1', reservation_ttl: '1d' }, { decision: 'throttle' })]);
    expect(run(e, req(), Date.parse('2026-01-15T12:00:00Z')).decision).toBe('allow');
    expect(run(e, req(), Date.parse('2026-01-15T22:59:59.999Z')).decision).toBe('throttle');
    expect(run(e, req(), Date.parse('2026-01-15T23:00:00Z')).decision).toBe('allow');
    // 29 March 2026 runs from 23:00Z on the 28th to 22:00Z on the 29th.
    expect(run(e, req(), Date.parse('2026-03-28T23:00:00Z')).decision).toBe('allow');
    const d = run(e, req(), Date.parse('2026-03-29T12:00:00Z'));
    expect(d.obligations.retry_after_ms).toBe(10 * HOUR);
  });
});

describe('rolling periods', () => {
  test('use ages out of the window: the retry time is when enough has left', async () => {
    const e = await engineOf([budget({ limit: 100, unit: 'tokens', period: '1h', amount: 'request.input' }, { decision: 'throttle' })]);
    const a = run(e, req({ input: 60 }), T0);
    expect(a.decision).toBe('allow');
    await e.reportUsage(a.decision_id, { input_tokens: 60, output_tokens: 0 });
    const d = run(e, req({ input: 60 }), T0 + 30 * MINUTE);
    expect(d.decision).toBe('throttle');
    expect(d.obligations.retry_after_ms).toBe(30 * MINUTE);
    expect(run(e, req({ input: 60 }), T0 + HOUR - 1).decision).toBe('throttle');
    expect(run(e, req({ input: 60 }), T0 + HOUR).decision).toBe('allow');
  });

  test('an unsettled estimate stops counting when its reservation lapses', async () => {
    const e = await engineOf([budget({ limit: 100, unit: 'tokens', period: '24h', amount: 'request.input', reservation_ttl: '5m' }, { decision: 'throttle' })]);
    run(e, req({ input: 60 }), T0);
    const d = run(e, req({ input: 60 }), T0 + MINUTE);
    expect(d.obligations.retry_after_ms).toBe(4 * MINUTE);
    expect(run(e, req({ input: 60 }), T0 + 5 * MINUTE).decision).toBe('allow');
  });
});

describe('amount and usage', () => {
  test('usage is priced from the pricing table', async () => {
    const spy = new SpyStore();
    const e = await engineOf([budget({ limit: 1, period: 'day', usage: USAGE })], { store: spy });
    run(e, req({ model: 'big', input: 1000, max_tokens: 500 }), T0);
    expect(spy.last.checks[0]!.amount).toBe(1000 * 2 + 500 * 10);
    run(e, req({ model: 'small', input: 1000, max_tokens: 500 }), T0);
    expect(spy.last.checks[0]!.amount).toBe(Math.ceil(1000 * 0.1 + 500 * 0.5));
    expect(spy.last.checks[0]!.capacity).toBe(1_000_000);
  });

  test('usage in tokens sums input and output tokens, without pricing', async () => {
    const spy = new SpyStore();
    const e = await engineOf([budget({ limit: 1000, unit: 'tokens', period: 'day', usage: USAGE })], { store: spy, pricing: false });
    expect(run(e, req({ model: 'anything', input: 300.2, max_tokens: 500 }), T0).decision).toBe('allow');
    expect(spy.last.checks[0]!.amount).toBe(801);
    expect(run(e, req({ model: 'anything', input: 300, max_tokens: 500 }), T0).decision).toBe('deny');
  });

  test('an unknown model is an error: fail closed by default, skipped with fail_open', async () => {
    const e = await engineOf([budget({ limit: 1, period: 'day', usage: USAGE })]);
    const d = run(e, req({ model: 'nope' }), T0);
    expect(d.decision).toBe('deny');
    expect(d.errors).toEqual([expect.objectContaining({ policy: 'budgets', rule: 'spend', part: 'budget.usage.model', effect: 'matched', message: expect.stringContaining("unknown model 'nope'") })]);
    expect(d.matched[0]!.error).toBeDefined();
    const open = await engineOf([budget({ limit: 1, period: 'day', usage: USAGE }, {}, { fail_open: true })]);
    const o = run(open, req({ model: 'nope' }), T0);
    expect(o.decision).toBe('allow');
    expect(o.errors).toEqual([expect.objectContaining({ part: 'budget.usage.model', effect: 'not_matched' })]);
  });

  test('without withPricing(), dollar budgets use the shipped pricing table', async () => {
    const spy = new SpyStore();
    const e = await engineOf([budget({ limit: 1, period: 'day', usage: USAGE })], { store: spy, pricing: false });
    // gpt-4o-mini in data/pricing.json: $0.15 per 1M input tokens, $0.60 per 1M output tokens.
    expect(run(e, req({ model: 'gpt-4o-mini', input: 1000, max_tokens: 1000 }), T0).decision).toBe('allow');
    expect(spy.last.checks[0]!.amount).toBe(750); // micro-dollars: 1000 × 0.15 + 1000 × 0.60
    const d = run(e, req({ model: 'big' }), T0);
    expect(d.decision).toBe('deny');
    expect(d.errors[0]!.message).toMatch(/unknown model 'big'/);
  });

  test('a negative estimate counts as nothing: it never gives budget back', async () => {
    const e = await engineOf([budget({ limit: 1, period: 'day', amount: 'request.cost' })]);
    expect(run(e, req({ cost: 1 }), T0).decision).toBe('allow');
    expect(run(e, req({ cost: -5 }), T0).decision).toBe('allow'); // counts 0
    expect(run(e, req({ cost: 0.5 }), T0).decision).toBe('deny');
  });
});

describe('warn_at', () => {
  test('past the fraction the rule reports a warn match with a readable reason; the request is allowed', async () => {
    const e = await engineOf([budget({ limit: 1, period: 'day', amount: 'request.cost', warn_at: 0.8 })]);
    expect(run(e, req({ cost: 0.3 }), T0).decision).toBe('allow');
    expect(run(e, req({ cost: 0.3 }), T0).decision).toBe('allow');
    const w = run(e, req({ cost: 0.3 }), T0);
    expect(w).toMatchObject({ decision: 'warn', allowed: true });
    expect(w.matched).toEqual([expect.objectContaining({ rule: 'spend', decision: 'warn', severity: 'low', mode: 'enforce' })]);
    expect(w.reason).toBe('90% of the budget used ($0.9000 of $1.00)');
    expect(run(e, req({ cost: 0.3 }), T0).decision).toBe('deny');
  });

  test('in tokens', async () => {
    const e = await engineOf([budget({ limit: 1000, unit: 'tokens', period: 'day', amount: 'request.input', warn_at: 0.5 })]);
    expect(run(e, req({ input: 400 }), T0).decision).toBe('allow');
    expect(run(e, req({ input: 200 }), T0).reason).toBe('60% of the budget used (600 tokens of 1000 tokens)');
  });
});

describe('on_exceed: clamp', () => {
  const clamp = (limit: number, extra: Obj = {}) => budget({ limit, period: 'day', usage: USAGE, on_exceed: 'clamp', ...extra });

  test('when the input still fits: modify, max_tokens clamped to what is left, the remainder reserved', async () => {
    const e = await engineOf([clamp(0.001)]); // 1000 micro-dollars
    // big: 100 input tokens = 200, 50 output tokens = 500.
    expect(run(e, req(), T0).decision).toBe('allow'); // 700 reserved, 300 left
    const d = run(e, req(), T0 + 1);
    expect(d).toMatchObject({ decision: 'modify', allowed: true });
    // 300 - 200 for the input leaves 100: 10 output tokens.
    expect(d.obligations.max_tokens).toBe(10);
    expect(d.obligations.modifications).toEqual([{ op: 'clamp', path: 'request.max_tokens', max: 10, policy: 'budgets', rule: 'spend' }]);
    expect(d.matched).toEqual([expect.objectContaining({ rule: 'spend', decision: 'modify' })]);
    expect(d.reason).toBe('max_tokens clamped to 10: $0.0003 of the budget is left');
    // The remainder is reserved: nothing is left for the next request.
    const next = run(e, req({ model: 'small', input: 1, max_tokens: 1 }), T0 + 2);
    expect(next.decision).toBe('deny');
  });

  test('deny when even the input does not fit', async () => {
    const e = await engineOf([clamp(0.001)]);
    run(e, req(), T0); // 300 left
    const d = run(e, req({ input: 150 }), T0 + 1); // input alone: 300, plus one output token: 310
    expect(d.decision).toBe('deny');
    expect(d.obligations.max_tokens).toBeUndefined();
  });

  test('in tokens: max_tokens is what is left after the input', async () => {
    const e = await engineOf([clamp(1000, { unit: 'tokens' })], { pricing: false });
    expect(run(e, req({ input: 300, max_tokens: 500 }), T0).decision).toBe('allow'); // 200 left
    const d = run(e, req({ input: 100, max_tokens: 500 }), T0);
    expect(d.decision).toBe('modify');
    expect(d.obligations.max_tokens).toBe(100);
    expect(run(e, req({ input: 0, max_tokens: 1 }), T0).decision).toBe('deny');
    const f = await engineOf([clamp(1000, { unit: 'tokens' })], { pricing: false });
    run(f, req({ input: 300, max_tokens: 500 }), T0);
    expect(run(f, req({ input: 200, max_tokens: 500 }), T0).decision).toBe('deny'); // 200 + 1 > 200
  });

  test('the smallest clamp wins when several budgets clamp', async () => {
    const e = await engineOf([
      policy('two', [
        { id: 'a', budget: { key: 'user.id', limit: 1000, unit: 'tokens', period: 'day', usage: USAGE, on_exceed: 'clamp' }, decision: 'deny' },
        { id: 'b', budget: { key: 'user.id', limit: 500, unit: 'tokens', period: 'day', usage: USAGE, on_exceed: 'clamp' }, decision: 'deny' },
      ]),
    ]);
    const d = run(e, req({ input: 100, max_tokens: 2000 }), T0);
    expect(d.decision).toBe('modify');
    expect(d.obligations.max_tokens).toBe(400);
    expect(d.obligations.modifications.map((m) => (m.op === 'clamp' ? `${m.rule}:${m.max}` : m.op))).toEqual(['a:900', 'b:400']);
  });
});

describe('cheaper models', () => {
  test('a refused dollar budget with usage suggests the most expensive cheaper model that fits what is left', async () => {
    const e = await engineOf([budget({ limit: 0.0011, period: 'day', usage: USAGE })]); // 1100 micro-dollars
    run(e, req(), T0); // big: 700, 400 left
    const d = run(e, req(), T0);
    expect(d.decision).toBe('deny');
    // mid costs 100 + 250 = 350 and fits; small (35) fits too but mid is preferred.
    expect(d.obligations.suggestions).toEqual([{ policy: 'budgets', rule: 'spend', values: { model: 'mid' } }]);
    run(e, req({ model: 'mid' }), T0); // 50 left
    expect(run(e, req(), T0).obligations.suggestions).toEqual([{ policy: 'budgets', rule: 'spend', values: { model: 'small' } }]);
    run(e, req({ model: 'small' }), T0); // 15 left
    expect(run(e, req(), T0).obligations.suggestions).toEqual([]);
  });

  test('a model named by the rule wins over the computed one; amount and token budgets suggest nothing', async () => {
    const named = await engineOf([budget({ limit: 0.0011, period: 'day', usage: USAGE }, { suggest: { model: 'house-model' } })]);
    run(named, req(), T0);
    expect(run(named, req(), T0).obligations.suggestions).toEqual([{ policy: 'budgets', rule: 'spend', values: { model: 'house-model' } }]);
    const amount = await engineOf([budget({ limit: 1, period: 'day', amount: 'request.cost' })]);
    run(amount, req({ cost: 1 }), T0);
    expect(run(amount, req(), T0).obligations.suggestions).toEqual([]);
    const tokens = await engineOf([budget({ limit: 200, unit: 'tokens', period: 'day', usage: USAGE })]);
    run(tokens, req(), T0);
    expect(run(tokens, req(), T0).obligations.suggestions).toEqual([]);
  });
});

describe('limits from the context', () => {
  test('limit: user.budget.monthly_limit gives every user their own limit', async () => {
    const e = await engineOf([budget({ limit: 'user.budget.monthly_limit', period: 'month', amount: 'request.cost' })]);
    const a = (cost: number) => req({ cost }, { id: 'a', budget: { monthly_limit: 1.0 } });
    const b = (cost: number) => req({ cost }, { id: 'b', budget: { monthly_limit: 2.0 } });
    expect(run(e, a(0.6), T0).decision).toBe('allow');
    expect(run(e, a(0.6), T0).decision).toBe('deny');
    for (let i = 0; i < 3; i++) expect(run(e, b(0.6), T0).decision).toBe('allow');
    expect(run(e, b(0.6), T0).decision).toBe('deny');
    // A raised limit applies at once.
    expect(run(e, req({ cost: 0.6 }, { id: 'a', budget: { monthly_limit: 1.2 } }), T0).decision).toBe('allow');
  });

  test('a price for the estimate computed in CEL', async () => {
    expect(price('big', 100, 50)).toBeCloseTo(0.0007, 12);
    const e = await engineOf([budget({ limit: 0.001, period: 'day', amount: 'double(request.input) * 0.000002 + double(request.max_tokens) * 0.00001' })]);
    expect(run(e, req(), T0).decision).toBe('allow');
    expect(run(e, req(), T0).decision).toBe('deny');
  });
});
