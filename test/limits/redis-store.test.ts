// The Redis limit store through the engine, against the real Redis at
// 127.0.0.1:6379: exact limits and budgets across replicas, settlement,
// lapsing reservations, sliding windows, clamping, dry runs and shadow rules.
// Every test writes under a key prefix of its own and removes it afterwards.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { Decision } from '../../src/engine/decision.js';
import { PolicyEngine } from '../../src/engine/engine.js';
import type { Pricing } from '../../src/engine/stateful.js';
import { RedisLimitStore } from '../../src/limits/redis-store.js';
import type { Check } from '../../src/limits/types.js';
import { REDIS_URL, deleteUnder, inspector, keysUnder, uniquePrefix } from './redis-helpers.js';

// Micro-dollars per token: 'big' 10 in / 30 out, 'small' 1 in / 2 out.
const PRICES: Record<string, { in: number; out: number }> = { big: { in: 10, out: 30 }, small: { in: 1, out: 2 } };
const pricing: Pricing = {
  cost: (model, i, o) => {
    const p = PRICES[model];
    return p ? (i * p.in + o * p.out) / 1e6 : undefined;
  },
  cheaperModels: (model) => (model === 'big' ? ['small'] : []),
};

// Mid-month, so calendar periods never change under a test.
const T = Date.UTC(2026, 2, 15, 12, 0, 0);

let inspect: Redis;
const prefixes: string[] = [];
const engines: PolicyEngine[] = [];

beforeAll(() => {
  inspect = inspector();
});

afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

afterAll(async () => {
  for (const p of prefixes) await deleteUnder(inspect, p);
  inspect.disconnect();
});

function prefixFor(name: string): string {
  const p = uniquePrefix(name);
  prefixes.push(p);
  return p;
}

async function engineWith(policy: string, prefix: string, options: { commandTimeoutMs?: number } = {}): Promise<{ engine: PolicyEngine; store: RedisLimitStore }> {
  const store = new RedisLimitStore({ url: REDIS_URL, keyPrefix: prefix, commandTimeoutMs: options.commandTimeoutMs ?? 2000 });
  const engine = await PolicyEngine.builder().withPolicyText(policy, 'policies.yaml').withPricing(pricing).withLimitStore(store).build();
  engines.push(engine);
  return { engine, store };
}

function policy(rules: string): string {
  return `apiVersion: policy.llm/v1
kind: Policy
metadata: { name: limits }
spec:
  rules:
${rules}`;
}

/** The one key under `prefix` of the given type (h, w, r) whose check key ends with `suffix`. */
async function keyOf(prefix: string, type: 'h' | 'w' | 'r', suffix: string): Promise<string> {
  const ks = (await keysUnder(inspect, `${prefix}${type}:`)).filter((k) => k.endsWith(suffix));
  expect(ks, `${type} key ending with ${suffix}`).toHaveLength(1);
  return ks[0]!;
}

describe('atomic across replicas', () => {
  it('three engines, each with its own connection, never overshoot a budget or a rate limit', async () => {
    const prefix = prefixFor('replicas');
    const text = policy(`
    - id: per-user-rpm
      limit: { key: "user.id", requests: 120, window: 1m }
      decision: throttle
    - id: team-spend
      budget: { key: "team.id", limit: 10, period: month, amount: "0.03" }
      decision: deny
`);
    const replicas = await Promise.all([0, 1, 2].map(() => engineWith(text, prefix, { commandTimeoutMs: 10_000 })));
    // Each replica has a connection of its own, and all are connected before the burst.
    expect(new Set(replicas.map((r) => r.store.redis)).size).toBe(3);
    await Promise.all(replicas.map((r) => r.store.ready()));

    // 600 requests at once: alice sends half of them, bob and carol a quarter each,
    // interleaved over the three replicas. $10 at $0.03 admits exactly 333 requests;
    // alice's own rate limit admits exactly 120 of hers.
    const N = 600;
    const users = Array.from({ length: N }, (_, i) => (i % 4 < 2 ? 'alice' : i % 4 === 2 ? 'bob' : 'carol'));
    const decisions: Decision[] = await Promise.all(users.map((u, i) => replicas[i % 3]!.engine.evaluate({ user: { id: u }, team: { id: 'team-1' } }, { now: T })));

    const admitted = (u?: string): number => decisions.filter((d, i) => d.allowed && (u === undefined || users[i] === u)).length;
    expect(admitted()).toBe(333);
    expect(admitted('alice')).toBe(120);
    expect(admitted('bob') + admitted('carol')).toBe(213);
    for (const r of replicas) expect(r.engine.stats().limits.storeErrors).toBe(0);
    const stats = replicas.map((r) => r.engine.stats().limits);
    expect(stats.reduce((s, x) => s + x.checks, 0)).toBe(N);
    expect(stats.reduce((s, x) => s + x.refusals, 0)).toBe(N - 333);
    // Refusals say why: alice's later ones by her rate limit, the rest by the budget.
    for (const d of decisions) if (!d.allowed) expect(d.matched.map((m) => m.rule).some((r) => r === 'per-user-rpm' || r === 'team-spend')).toBe(true);

    // What Redis holds is exactly what was admitted: a refusal by one limit counted against neither.
    const budget = await keyOf(prefix, 'h', ':team-1:2026-03');
    expect(await inspect.hget(budget, ':t')).toBe(String(333 * 30_000));
    expect(await inspect.hget(budget, ':s')).toBeNull();
    expect(await inspect.zcard(await keyOf(prefix, 'r', ':team-1:2026-03'))).toBe(333);
    for (const u of ['alice', 'bob', 'carol']) {
      expect(await inspect.zcard(await keyOf(prefix, 'w', `per-user-rpm:${u}`))).toBe(admitted(u));
      expect(await inspect.hget(await keyOf(prefix, 'h', `per-user-rpm:${u}`), ':t')).toBe(String(admitted(u)));
    }
    // Every admitted decision holds its reservation, settleable from any replica.
    const first = decisions.find((d) => d.allowed)!;
    const refs = await replicas[2]!.store.reservations(first.decision_id);
    expect(refs).toEqual([{ index: 1, kind: 'calendar', key: expect.stringMatching(/^bud:.*team-spend:team-1:2026-03$/), reserved: 30_000, meta: '{"u":"usd"}' }]);
    // And everything expires.
    for (const k of await keysUnder(inspect, prefix)) expect(await inspect.pttl(k), k).toBeGreaterThan(0);
  });
});

describe('reportUsage settles reservations', () => {
  const budget = policy(`
    - id: spend
      budget:
        key: "team.id"
        limit: 1
        period: month
        usage: { model: "request.model", input_tokens: "request.input_tokens", output_tokens: "request.max_tokens" }
        reservation_ttl: 30s
      decision: deny
`);
  // 1000 input + 1000 output tokens of 'big': $0.04, so $1 holds 25 such requests.
  const req = { team: { id: 't1' }, request: { model: 'big', input_tokens: 1000, max_tokens: 1000 } };

  it('a smaller actual use frees the difference; a second settlement finds nothing', async () => {
    const prefix = prefixFor('settle');
    const { engine, store } = await engineWith(budget, prefix);
    const ds: Decision[] = [];
    for (let i = 0; i < 26; i++) ds.push(await engine.evaluate(req, { now: T + i }));
    expect(ds.slice(0, 25).every((d) => d.allowed)).toBe(true);
    expect(ds[25]!.decision).toBe('deny');
    expect(ds[25]!.matched[0]!.rule).toBe('spend');

    expect(await store.reservations(ds[0]!.decision_id)).toEqual([{ index: 0, kind: 'calendar', key: expect.any(String), reserved: 40_000, meta: '{"u":"usd","m":"big"}' }]);
    // Three requests used only their input: $0.01 each, $0.09 freed — two more fit, not three.
    for (const d of ds.slice(0, 3)) expect(await engine.reportUsage(d.decision_id, { input_tokens: 1000, output_tokens: 0 })).toEqual({ found: true, settled: 1 });
    expect(engine.stats().limits.settlements).toBe(3);
    const more = [];
    for (let i = 0; i < 3; i++) more.push((await engine.evaluate(req, { now: T + 100 + i })).allowed);
    expect(more).toEqual([true, true, false]);
    const h = await keyOf(prefix, 'h', ':t1:2026-03');
    expect(await inspect.hmget(h, ':t', ':s')).toEqual([String(24 * 40_000), String(3 * 10_000)]);

    // A second report for the same decision finds nothing and changes nothing.
    expect(await engine.reportUsage(ds[0]!.decision_id, { cost: 0.5 })).toEqual({ found: false, settled: 0 });
    expect(await store.reservations(ds[0]!.decision_id)).toEqual([]);
    expect(await inspect.hmget(h, ':t', ':s')).toEqual([String(24 * 40_000), String(3 * 10_000)]);
    // A decision that reserved nothing is unknown too.
    expect(await engine.reportUsage(ds[25]!.decision_id, { cost: 0.01 })).toEqual({ found: false, settled: 0 });
  });

  it('unsettled reservations lapse after reservation_ttl; a late report still counts', async () => {
    const prefix = prefixFor('lapse');
    const { engine } = await engineWith(budget, prefix);
    const ds: Decision[] = [];
    for (let i = 0; i < 25; i++) ds.push(await engine.evaluate(req, { now: T }));
    expect(ds.every((d) => d.allowed)).toBe(true);
    // Full until the reservations lapse, 30 s later; a calendar budget says to retry at the period end.
    const full = await engine.evaluate(req, { now: T + 29_999 });
    expect(full.decision).toBe('deny');
    // 30 s on, every reservation has lapsed: the budget is empty again.
    const first = await engine.evaluate(req, { now: T + 30_000 });
    expect(first.allowed).toBe(true);
    // A report arriving after its reservation lapsed still counts its use: $0.50 of the $1.
    expect(await engine.reportUsage(ds[0]!.decision_id, { cost: 0.5 })).toEqual({ found: true, settled: 1 });
    const after: boolean[] = [];
    for (let i = 0; i < 12; i++) after.push((await engine.evaluate(req, { now: T + 30_000 })).allowed);
    // $0.50 + $0.04 used: 11 more requests of $0.04 fit, the 12th does not.
    expect(after.filter(Boolean)).toHaveLength(11);
    expect(after[11]).toBe(false);
    const h = await keyOf(prefix, 'h', ':t1:2026-03');
    expect(await inspect.hmget(h, ':t', ':s')).toEqual([String(12 * 40_000), '500000']);
    expect(await inspect.zcard(await keyOf(prefix, 'r', ':t1:2026-03'))).toBe(12);
  });

  it('a rolling budget keeps a settled entry at its time, with the actual amount', async () => {
    const prefix = prefixFor('rolling');
    const { engine } = await engineWith(
      policy(`
    - id: tokens
      budget: { key: "user.id", limit: 1000, unit: tokens, period: 1m, amount: "request.max_tokens" }
      decision: throttle
`),
      prefix,
    );
    const at = (n: number, ms: number): Promise<Decision> => engine.evaluate({ user: { id: 'u' }, request: { max_tokens: n } }, { now: T + ms });
    const first = await at(400, 0);
    expect((await at(400, 1000)).allowed).toBe(true);
    expect((await at(400, 1500)).allowed).toBe(false);
    expect(await engine.reportUsage(first.decision_id, { input_tokens: 50, output_tokens: 50 })).toEqual({ found: true, settled: 1 });
    expect((await at(400, 2000)).allowed).toBe(true); // 100 + 400 + 400
    // Just before the first entry (100 tokens at T) leaves the window, 200 do not fit; then they do.
    const refused = await at(200, 59_999);
    expect(refused.decision).toBe('throttle');
    expect(refused.obligations.retry_after_ms).toBe(1);
    expect((await at(200, 60_000)).allowed).toBe(true);
    expect((await at(1, 60_000)).allowed).toBe(false);
  });
});

describe('sliding window', () => {
  const rpm = policy(`
    - id: rpm
      limit: { key: "user.id", requests: 3, window: 10s }
      decision: throttle
`);
  const ctx = { user: { id: 'u1' } };

  it('retry_after_ms says when the oldest request leaves the window; entries age out', async () => {
    const prefix = prefixFor('window');
    const { engine } = await engineWith(rpm, prefix);
    for (const ms of [0, 1000, 2000]) expect((await engine.evaluate(ctx, { now: T + ms })).allowed).toBe(true);
    const refused = await engine.evaluate(ctx, { now: T + 3000 });
    expect(refused.decision).toBe('throttle');
    // The request at T stops counting at T + 10 s exactly (the window is (now - 10 s, now]):
    // one millisecond earlier the request is still refused, at that instant it fits.
    expect(refused.obligations.retry_after_ms).toBe(10_000 - 3000);
    const retryAt = T + 3000 + refused.obligations.retry_after_ms!;
    const early = await engine.evaluate(ctx, { now: retryAt - 1 });
    expect(early.decision).toBe('throttle');
    expect(early.obligations.retry_after_ms).toBe(1);
    expect((await engine.evaluate(ctx, { now: retryAt })).allowed).toBe(true);
    // Refused requests were not counted: the window holds T+1s, T+2s, T+10s.
    const w = await keyOf(prefix, 'w', '/rpm:u1');
    expect(await inspect.zrange(w, '0', '-1', 'WITHSCORES')).toEqual(expect.arrayContaining([String(T + 1000), String(T + 2000), String(T + 10_000)]));
    expect(await inspect.zcard(w)).toBe(3);
    // A window later everything has aged out: three more fit, the fourth does not.
    const later = [];
    for (let i = 0; i < 4; i++) later.push((await engine.evaluate(ctx, { now: T + 30_000 })).allowed);
    expect(later).toEqual([true, true, true, false]);
    expect(await inspect.zcard(w)).toBe(3);
    expect(await inspect.pttl(w)).toBeGreaterThan(9_000);
    expect(await inspect.pttl(w)).toBeLessThanOrEqual(10_000);
  });

  it('on_exceed: clamp grants what is left of a budget, with max_tokens to match', async () => {
    const prefix = prefixFor('clamp');
    const { engine } = await engineWith(
      policy(`
    - id: spend
      budget:
        key: "team.id"
        limit: 0.1
        period: month
        usage: { model: "request.model", input_tokens: "request.input_tokens", output_tokens: "request.max_tokens" }
        on_exceed: clamp
      decision: deny
`),
      prefix,
    );
    const req = { team: { id: 't' }, request: { model: 'big', input_tokens: 1000, max_tokens: 1000 } };
    const ds: Decision[] = [];
    for (let i = 0; i < 4; i++) ds.push(await engine.evaluate(req, { now: T }));
    expect(ds.map((d) => d.decision)).toEqual(['allow', 'allow', 'modify', 'deny']);
    // $0.02 left after two $0.04 requests: $0.01 of input leaves $0.01 for output at $0.00003 a token.
    expect(ds[2]!.obligations.max_tokens).toBe(333);
    const h = await keyOf(prefix, 'h', ':t:2026-03');
    expect(await inspect.hget(h, ':t')).toBe('100000');
    // A cheaper model is suggested when it fits what is left — here nothing is left.
    expect(ds[3]!.obligations.suggestions).toEqual([]);
  });

  it('dry runs consume nothing; shadow limits count only in shadow keys', async () => {
    const prefix = prefixFor('dry');
    const { engine } = await engineWith(
      policy(`
    - id: rpm
      limit: { key: "user.id", requests: 3, window: 10s }
      decision: throttle
    - id: spend
      budget: { key: "user.id", limit: 1, period: month, amount: "0.4" }
      decision: deny
    - id: shadow-rpm
      mode: shadow
      limit: { key: "user.id", requests: 1, window: 10s }
      decision: throttle
    - id: shadow-never
      mode: shadow
      limit: { key: "user.id", cost: "2", max: 1, window: 10s }
      decision: throttle
`),
      prefix,
    );
    for (let i = 0; i < 10; i++) {
      const d = await engine.evaluate(ctx, { now: T, dryRun: true });
      expect(d.allowed).toBe(true);
    }
    // Nothing written by the dry runs, nor by the shadow rules.
    expect(await keysUnder(inspect, prefix)).toEqual([]);
    const ds: Decision[] = [];
    for (let i = 0; i < 3; i++) ds.push(await engine.evaluate(ctx, { now: T }));
    // The budget ($0.40 each of $1) admits two; the rate limit would admit three.
    expect(ds.map((d) => d.allowed)).toEqual([true, true, false]);
    // The shadow limit nothing fits reports a shadow match every time; the shadow limit of 1 counts in its own key,
    // so it matches from the second request on — without refusing anything.
    // The third request is refused by the budget, so the shadow limits (run only for admitted requests) are not checked.
    expect(ds.map((d) => d.matched.filter((m) => m.mode === 'shadow').map((m) => m.rule))).toEqual([['shadow-never'], ['shadow-rpm', 'shadow-never'], []]);
    const keys = await keysUnder(inspect, prefix);
    expect(keys.some((k) => k.includes('shadow:') && k.includes('/shadow-rpm:'))).toBe(true);
    expect(keys.filter((k) => k.includes('shadow:') && !k.includes('/shadow-rpm:') && !k.includes('/shadow-never:'))).toEqual([]);
    expect(await inspect.zcard(await keyOf(prefix, 'w', '/rpm:u1'))).toBe(2);
    // A dry run reports the state without changing it.
    const dry = await engine.evaluate(ctx, { now: T, dryRun: true });
    expect(dry.decision).toBe('deny');
    expect(await inspect.zcard(await keyOf(prefix, 'w', '/rpm:u1'))).toBe(2);
  });
});

describe('store level', () => {
  const rolling = (amount: number, windowMs: number, reservationTtlMs: number): Check => ({ kind: 'rolling', key: 'bud:ns/p/r:u', amount, capacity: 100, windowMs, reservationTtlMs });
  const usedAt = async (store: RedisLimitStore, c: Check, now: number): Promise<number> => (await store.check('probe', [{ ...c, amount: 0 }], now, true, [])).outcomes[0]!.used;

  it('entries made out of time order still leave the window on time', async () => {
    const store = new RedisLimitStore({ url: REDIS_URL, keyPrefix: prefixFor('order'), commandTimeoutMs: 2000 });
    try {
      const c: Check = { kind: 'window', key: 'lim:ns/p/w:k', amount: 1, capacity: 2, windowMs: 1000 };
      expect((await store.check('a', [c], T + 1000, false, [])).admitted).toBe(true);
      expect((await store.check('b', [c], T, false, [])).admitted).toBe(true);
      const r = await store.check('c', [c], T + 1500, false, []);
      expect(r.outcomes[0]!.used).toBe(1);
      expect(r.admitted).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('reservations made out of time order lapse on time, settled ones notwithstanding', async () => {
    const store = new RedisLimitStore({ url: REDIS_URL, keyPrefix: prefixFor('lapse-order'), commandTimeoutMs: 2000 });
    try {
      const cal = (amount: number): Check => ({ kind: 'calendar', key: 'bud:ns/p/c:t:2026-03', amount, capacity: 100, periodEndMs: T + 86_400_000, reservationTtlMs: 500 });
      // b lapses at T+600, a (settled with 0) at T+700, c at T+800; e, stamped T, at T+500.
      for (const [id, at] of [['b', 100], ['a', 200], ['c', 300]] as const) expect((await store.check(id, [cal(10)], T + at, false, ['m'])).admitted).toBe(true);
      expect(await store.settle('a', new Map([[0, 0]]), T + 310)).toEqual({ settled: 1, found: true });
      expect((await store.check('e', [cal(10)], T, false, ['m'])).admitted).toBe(true);
      expect(await usedAt(store, cal(0), T + 499)).toBe(30);
      expect(await usedAt(store, cal(0), T + 550)).toBe(20);
      expect(await usedAt(store, cal(0), T + 800)).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('a late report for a rolling budget counts even after Redis expired the key, for a whole window from the report', async () => {
    const prefix = prefixFor('late');
    const store = new RedisLimitStore({ url: REDIS_URL, keyPrefix: prefix, commandTimeoutMs: 2000 });
    try {
      // Real time here: Redis expiries run on its clock. Window 100 ms, reservation 50 ms.
      const t0 = Date.now();
      expect((await store.check('late-1', [rolling(60, 100, 50)], t0, false, ['m'])).admitted).toBe(true);
      const record = `${prefix}d:late-1`;
      expect(await inspect.pttl(record)).toBeGreaterThan(3_600_000 + 50 - 1000);
      expect(await inspect.pttl(record)).toBeLessThanOrEqual(3_600_000 + 50);
      await new Promise((r) => setTimeout(r, 250));
      expect(await keysUnder(inspect, prefix)).toEqual([record]);
      const t1 = Date.now();
      expect(await store.settle('late-1', new Map([[0, 50]]), t1)).toEqual({ settled: 1, found: true });
      expect(await usedAt(store, rolling(0, 100, 50), t1 + 1)).toBe(50);
      expect(await usedAt(store, rolling(0, 100, 50), t1 + 100)).toBe(0);
      expect(await store.settle('late-1', new Map([[0, 50]]), t1)).toEqual({ settled: 0, found: false });
    } finally {
      await store.close();
    }
  });
});
