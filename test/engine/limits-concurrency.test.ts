// Many evaluations in flight at once in one process: a budget and a rate limit
// admit exactly as many requests as they allow — not one more — whether the
// store answers at once (memory) or later (an asynchronous store with
// interleaved answers).

import { describe, expect, test } from 'vitest';
import type { LimitStore } from '../../src/limits/types.js';
import { AsyncStore, SpyStore, T0, engineOf, policy, prng } from '../limits/helpers.js';

const N = 1000;

const rules = (requests: number, tokens: number) => [
  policy('p', [
    { id: 'rpm', limit: { key: 'user.id', requests, window: '1m' }, decision: 'throttle' },
    { id: 'tokens', budget: { key: 'user.id', limit: tokens, unit: 'tokens', period: 'day', amount: 'request.tokens' }, decision: 'deny' },
  ]),
];
const ctx = { user: { id: 'u1' }, request: { tokens: 4 } };

async function flood(store: LimitStore, requests: number, tokens: number) {
  const e = await engineOf(rules(requests, tokens), { store });
  const ds = await Promise.all(Array.from({ length: N }, (_, i) => e.evaluate(ctx, { now: T0 + (i % 7) })));
  const count = (k: string) => ds.filter((d) => d.decision === k).length;
  return { e, allowed: count('allow'), throttled: count('throttle'), denied: count('deny'), ds };
}

describe(`${N} concurrent evaluate() calls`, () => {
  test('memory store, the budget binds: exactly limit / amount admitted, and the rate limit counted only those', async () => {
    const spy = new SpyStore();
    const r = await flood(spy, 400, 1000);
    expect(r.allowed).toBe(250);
    expect(r.denied).toBe(N - 250);
    expect(r.throttled).toBe(0);
    await r.e.evaluate(ctx, { now: T0 + 10, dryRun: true });
    expect([spy.usedBy('rpm'), spy.usedBy('tokens')]).toEqual([250, 1000]);
    expect(new Set(r.ds.map((d) => d.decision_id)).size).toBe(N);
    expect(r.e.stats().limits).toMatchObject({ checks: N + 1, refusals: N - 250, storeErrors: 0 });
  });

  test('memory store, the rate limit binds: exactly `requests` admitted, and only they reserved budget', async () => {
    const spy = new SpyStore();
    const r = await flood(spy, 100, 1000);
    expect(r.allowed).toBe(100);
    expect(r.throttled).toBe(N - 100);
    await r.e.evaluate(ctx, { now: T0 + 10, dryRun: true });
    expect([spy.usedBy('rpm'), spy.usedBy('tokens')]).toEqual([100, 400]);
  });

  test('an asynchronous store answering in random order admits exactly as many', async () => {
    const rnd = prng(42);
    const r = await flood(new AsyncStore(() => Math.floor(rnd() * 4)), 400, 1000);
    expect(r.allowed).toBe(250);
    expect(r.denied).toBe(N - 250);
  });

  test('concurrent reports settle each reservation once', async () => {
    const e = await engineOf(rules(N, N * 4), { store: new AsyncStore(() => 1) });
    const ds = await Promise.all(Array.from({ length: 200 }, () => e.evaluate(ctx, { now: T0 })));
    expect(ds.every((d) => d.allowed)).toBe(true);
    const reports = await Promise.all(ds.flatMap((d) => [e.reportUsage(d.decision_id, { input_tokens: 1, output_tokens: 0 }), e.reportUsage(d.decision_id, { input_tokens: 1, output_tokens: 0 })]));
    expect(reports.filter((x) => x.found).length).toBe(200);
    // 200 settled at 1 token each: 3800 of 4000 would now fit in one request, 3801 would not.
    expect((await e.evaluate({ ...ctx, request: { tokens: N * 4 - 200 } }, { now: T0, dryRun: true })).decision).toBe('allow');
    expect((await e.evaluate({ ...ctx, request: { tokens: N * 4 - 199 } }, { now: T0, dryRun: true })).decision).toBe('deny');
  });
});
