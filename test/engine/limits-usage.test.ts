// Reserve, then settle: an admitted request reserves its estimate at once;
// reportUsage() replaces the reservation with the actual use (a cost, tokens
// priced with the model kept in the reservation, or tokens for token
// budgets); reservations lapse after reservation_ttl; late reports count; bad
// reports are refused with a clear error.

import { afterEach, describe, expect, test, vi } from 'vitest';
import type { PolicyEngine } from '../../src/engine/engine.js';
import { MINUTE, SpyStore, T0, engineOf, policy } from '../limits/helpers.js';

type Obj = Record<string, unknown>;

const USAGE = { model: 'request.model', input_tokens: 'request.input', output_tokens: 'request.max_tokens' };
const dollars = (b: Obj = {}) => policy('budgets', [{ id: 'usd', budget: { key: 'user.id', limit: 1, period: 'day', amount: 'request.cost', ...b }, decision: 'deny' }]);
const priced = (b: Obj = {}) => policy('budgets', [{ id: 'usd', budget: { key: 'user.id', limit: 1, period: 'day', usage: USAGE, ...b }, decision: 'deny' }]);
const tokens = (b: Obj = {}) => policy('budgets', [{ id: 'tok', budget: { key: 'user.id', limit: 1000, unit: 'tokens', period: 'day', usage: USAGE, ...b }, decision: 'deny' }]);
const req = (r: Obj = {}) => ({ user: { id: 'u1' }, request: { model: 'big', input: 100, max_tokens: 50, cost: 0.6, ...r } });

function run(e: PolicyEngine, ctx: Obj, at = T0) {
  return e.evaluateSync(ctx, { now: at });
}

/** What the budget holds at `at`, asked with a dry run through the spy. */
function held(e: PolicyEngine, spy: SpyStore, rule: string, at = T0): number {
  e.evaluateSync(req({ cost: 0, input: 0, max_tokens: 0 }), { now: at, dryRun: true });
  return spy.usedBy(rule);
}

afterEach(() => {
  vi.useRealTimers();
});

describe('reservations', () => {
  test('an admitted request reserves its estimate at once: the next request sees it', async () => {
    const spy = new SpyStore();
    const e = await engineOf([dollars()], { store: spy });
    expect(run(e, req()).decision).toBe('allow');
    expect(held(e, spy, 'usd')).toBe(600_000);
    expect(run(e, req()).decision).toBe('deny');
  });

  test('a decision that reserved nothing, or an unknown id, is not found', async () => {
    const e = await engineOf([policy('rate', [{ id: 'r', limit: { key: 'user.id', requests: 5, window: '1m' }, decision: 'throttle' }])]);
    const d = run(e, req());
    expect(await e.reportUsage(d.decision_id, { cost: 1 })).toEqual({ found: false, settled: 0 });
    expect(await e.reportUsage('no-such-decision', { cost: 1 })).toEqual({ found: false, settled: 0 });
    const b = await engineOf([dollars()]);
    run(b, req({ cost: 2 })); // refused: nothing reserved
    const refused = run(b, req({ cost: 2 }));
    expect(refused.decision).toBe('deny');
    expect(await b.reportUsage(refused.decision_id, { cost: 1 })).toEqual({ found: false, settled: 0 });
  });
});

describe('settling', () => {
  test('with a cost: a smaller actual use frees budget; settling twice finds nothing', async () => {
    const spy = new SpyStore();
    const e = await engineOf([dollars()], { store: spy });
    const a = run(e, req());
    expect(await e.reportUsage(a.decision_id, { cost: 0.1 })).toEqual({ found: true, settled: 1 });
    expect(held(e, spy, 'usd')).toBe(100_000);
    expect(run(e, req()).decision).toBe('allow'); // 0.1 + 0.6
    expect(run(e, req()).decision).toBe('deny');
    expect(await e.reportUsage(a.decision_id, { cost: 0.1 })).toEqual({ found: false, settled: 0 });
    expect(held(e, spy, 'usd')).toBe(700_000);
    expect(e.stats().limits.settlements).toBe(1);
  });

  test('a larger actual use counts in full, even past the limit', async () => {
    const spy = new SpyStore();
    const e = await engineOf([dollars()], { store: spy });
    const a = run(e, req({ cost: 0.1 }));
    await e.reportUsage(a.decision_id, { cost: 1.5 });
    expect(held(e, spy, 'usd')).toBe(1_500_000);
    expect(run(e, req({ cost: 0 })).decision).toBe('deny');
  });

  test('with tokens: priced with the model kept in the reservation', async () => {
    const spy = new SpyStore();
    const e = await engineOf([priced()], { store: spy });
    const a = run(e, req({ model: 'big' }));
    expect(held(e, spy, 'usd')).toBe(700); // estimate: 100 × 2 + 50 × 10
    // The actual use was 40 input and 7 output tokens of `big`, whatever the context says later.
    expect(await e.reportUsage(a.decision_id, { input_tokens: 40, output_tokens: 7 })).toEqual({ found: true, settled: 1 });
    expect(held(e, spy, 'usd')).toBe(40 * 2 + 7 * 10);
    // A cost, when given, wins over the tokens.
    const b = run(e, req({ model: 'mid' }));
    await e.reportUsage(b.decision_id, { input_tokens: 1000, output_tokens: 1000, cost: 0.000001 });
    expect(held(e, spy, 'usd')).toBe(150 + 1);
  });

  test('token budgets take input_tokens + output_tokens', async () => {
    const spy = new SpyStore();
    const e = await engineOf([tokens()], { store: spy, pricing: false });
    const a = run(e, req({ input: 300, max_tokens: 500 }));
    expect(held(e, spy, 'tok')).toBe(800);
    expect(await e.reportUsage(a.decision_id, { input_tokens: 300, output_tokens: 20 })).toEqual({ found: true, settled: 1 });
    expect(held(e, spy, 'tok')).toBe(320);
    const b = run(e, req({ input: 10, max_tokens: 10 }));
    await e.reportUsage(b.decision_id, { output_tokens: 7 });
    expect(held(e, spy, 'tok')).toBe(327);
  });

  test('one report settles every budget of the decision, each in its unit', async () => {
    const spy = new SpyStore();
    const e = await engineOf(
      [
        policy('budgets', [
          { id: 'usd', budget: { key: 'user.id', limit: 1, period: 'day', usage: USAGE }, decision: 'deny' },
          { id: 'tok', budget: { key: 'user.id', limit: 1000, unit: 'tokens', period: '1h', usage: USAGE }, decision: 'deny' },
          { id: 'rpm', limit: { key: 'user.id', requests: 10, window: '1m' }, decision: 'throttle' },
        ]),
      ],
      { store: spy },
    );
    const a = run(e, req());
    expect(await e.reportUsage(a.decision_id, { input_tokens: 10, output_tokens: 5 })).toEqual({ found: true, settled: 2 });
    held(e, spy, 'usd');
    expect([spy.usedBy('usd'), spy.usedBy('tok'), spy.usedBy('rpm')]).toEqual([10 * 2 + 5 * 10, 15, 1]);
  });

  test('a clamped request reserved the remainder; its report replaces it', async () => {
    const spy = new SpyStore();
    const e = await engineOf([priced({ limit: 0.001, on_exceed: 'clamp' })], { store: spy });
    run(e, req()); // 700
    const c = run(e, req());
    expect(c.obligations.max_tokens).toBe(10);
    expect(held(e, spy, 'usd')).toBe(1000);
    await e.reportUsage(c.decision_id, { input_tokens: 100, output_tokens: 5 });
    expect(held(e, spy, 'usd')).toBe(700 + 250);
  });
});

describe('lapses', () => {
  test('an unsettled reservation stops counting after reservation_ttl', async () => {
    const e = await engineOf([dollars({ reservation_ttl: '5m' })]);
    expect(run(e, req(), T0).decision).toBe('allow');
    expect(run(e, req(), T0 + 5 * MINUTE - 1).decision).toBe('deny');
    expect(run(e, req(), T0 + 5 * MINUTE).decision).toBe('allow');
    expect(run(e, req(), T0 + 5 * MINUTE).decision).toBe('deny');
  });

  test('the default reservation_ttl is 10 minutes', async () => {
    const e = await engineOf([dollars()]);
    run(e, req(), T0);
    expect(run(e, req(), T0 + 10 * MINUTE - 1).decision).toBe('deny');
    expect(run(e, req(), T0 + 10 * MINUTE).decision).toBe('allow');
  });

  test('a report that arrives after the reservation lapsed still counts', async () => {
    const spy = new SpyStore();
    const e = await engineOf([dollars({ reservation_ttl: '5m' })], { store: spy });
    const late = run(e, req(), T0);
    expect(run(e, req(), T0 + 6 * MINUTE).decision).toBe('allow'); // the first lapsed; this one reserves 0.6
    expect(await e.reportUsage(late.decision_id, { cost: 0.3 })).toEqual({ found: true, settled: 1 });
    expect(held(e, spy, 'usd', T0 + 7 * MINUTE)).toBe(900_000);
    expect(run(e, req({ cost: 0.2 }), T0 + 7 * MINUTE).decision).toBe('deny');
  });

  test('a late report for a rolling budget counts from when it arrives', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const spy = new SpyStore();
    const e = await engineOf([tokens({ period: '1h', reservation_ttl: '5m' })], { store: spy, pricing: false });
    const a = run(e, req({ input: 100, max_tokens: 100 }), T0);
    expect(held(e, spy, 'tok', T0 + 5 * MINUTE)).toBe(0);
    vi.setSystemTime(T0 + 20 * MINUTE);
    expect(await e.reportUsage(a.decision_id, { input_tokens: 100, output_tokens: 300 })).toEqual({ found: true, settled: 1 });
    expect(held(e, spy, 'tok', T0 + 20 * MINUTE + 1)).toBe(400);
    expect(held(e, spy, 'tok', T0 + 80 * MINUTE - 1)).toBe(400);
    expect(held(e, spy, 'tok', T0 + 80 * MINUTE)).toBe(0);
  });
});

describe('bad reports', () => {
  test('negative, NaN or infinite numbers, and a missing decision id, throw clear errors', async () => {
    const e = await engineOf([tokens()], { pricing: false });
    const a = run(e, req());
    await expect(e.reportUsage(a.decision_id, { input_tokens: -1, output_tokens: 5 })).rejects.toThrow(/input_tokens must be a non-negative number, got -1/);
    await expect(e.reportUsage(a.decision_id, { input_tokens: 1, output_tokens: Number.NaN })).rejects.toThrow(/output_tokens must be a non-negative number, got NaN/);
    await expect(e.reportUsage(a.decision_id, { cost: Number.POSITIVE_INFINITY })).rejects.toThrow(/cost must be a non-negative number/);
    await expect(e.reportUsage(a.decision_id, { input_tokens: '5' as unknown as number })).rejects.toThrow(/input_tokens must be a non-negative number, got string '5'/);
    // A misspelt field would settle as zero use.
    await expect(e.reportUsage(a.decision_id, { input_tokens: 5, completion_tokens: 9 } as unknown as { input_tokens: number })).rejects.toThrow(
      "reportUsage: unknown usage field 'completion_tokens'; report input_tokens and output_tokens, or cost (dollars)",
    );
    await expect(e.reportUsage('', { cost: 1 })).rejects.toThrow(/decision_id/);
    // Nothing was settled by the refused reports.
    expect(await e.reportUsage(a.decision_id, { input_tokens: 1, output_tokens: 1 })).toEqual({ found: true, settled: 1 });
  });

  test('fields missing for the unit of the budget', async () => {
    const t = await engineOf([tokens()], { pricing: false });
    const a = run(t, req());
    await expect(t.reportUsage(a.decision_id, { cost: 0.5 })).rejects.toThrow(/counts tokens: report input_tokens and output_tokens/);
    await expect(t.reportUsage(a.decision_id, {})).rejects.toThrow(/counts tokens/);
    const d = await engineOf([dollars()]);
    const b = run(d, req());
    // A budget given as `amount` keeps no model: tokens cannot be priced.
    await expect(d.reportUsage(b.decision_id, { input_tokens: 10, output_tokens: 10 })).rejects.toThrow(/counts dollars: report cost/);
    await expect(d.reportUsage(b.decision_id, {})).rejects.toThrow(/counts dollars/);
    expect(await d.reportUsage(b.decision_id, { cost: 0 })).toEqual({ found: true, settled: 1 });
  });
});
