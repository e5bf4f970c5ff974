// The Redis store must mean exactly what the memory store means: random
// sequences of checks (windows, rolling and calendar budgets, clamps, dry
// runs, refusals across several keys) and settlements (pending, lapsed,
// repeated, partial, unknown) run against both, with the same clock, must get
// identical answers — fits, granted, used, retryAfterMs, reservations and
// settlement counts — and leave identical state behind.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { MemoryLimitStore } from '../../src/limits/memory-store.js';
import { RedisLimitStore } from '../../src/limits/redis-store.js';
import type { Check, CheckKind, StoreResult } from '../../src/limits/types.js';
import { REDIS_URL, deleteUnder, inspector, prng, uniquePrefix } from './redis-helpers.js';

interface KeySpec {
  readonly key: string;
  readonly kind: CheckKind;
  readonly capacity: number;
  readonly windowMs?: number;
  readonly periodEndMs?: number;
  readonly reservationTtlMs?: number;
}

const T0 = Date.UTC(2026, 2, 15, 12, 0, 0);

// One window length and reservation TTL per key, as one rule has.
const KEYS: readonly KeySpec[] = [
  { key: 'lim:ns/p/rpm:alice', kind: 'window', capacity: 6, windowMs: 2000 },
  { key: 'lim:ns/p/tpm:alice', kind: 'window', capacity: 400, windowMs: 5000 },
  { key: 'lim:ns/p/rpm:bob', kind: 'window', capacity: 3, windowMs: 1000 },
  { key: 'bud:ns/p/roll:team-a', kind: 'rolling', capacity: 1000, windowMs: 6000, reservationTtlMs: 2500 },
  { key: 'bud:ns/p/roll:team-b', kind: 'rolling', capacity: 500, windowMs: 2000, reservationTtlMs: 4000 },
  { key: 'bud:ns/p/month:team-a:2026-03', kind: 'calendar', capacity: 1200, periodEndMs: T0 + 40_000, reservationTtlMs: 3000 },
  { key: 'bud:ns/p/month:team-b:2026-03', kind: 'calendar', capacity: 300, periodEndMs: T0 + 150_000, reservationTtlMs: 1500 },
];

// The memory store sweeps every 256th check; a sweep can forget a rolling key whose
// late settlement Redis would still count. Each run stays below that, so the two
// are compared on semantics, not on housekeeping.
const RUNS = 12;
const CHECKS_PER_RUN = 250;

function strip(r: StoreResult): unknown {
  return { admitted: r.admitted, outcomes: r.outcomes.map((o) => ({ fits: o.fits, granted: o.granted, used: o.used, retryAfterMs: o.retryAfterMs ?? null })) };
}

describe('RedisLimitStore and MemoryLimitStore agree', () => {
  let inspect: Redis;
  const prefixes: string[] = [];
  // What the runs exercised, over all of them.
  const seen = { clamped: 0, foundSettles: 0, retryWindow: 0, retryRolling: 0, retryCalendar: 0, noRetry: 0 };

  beforeAll(() => {
    inspect = inspector();
  });

  afterAll(async () => {
    for (const p of prefixes) await deleteUnder(inspect, p);
    inspect.disconnect();
  });

  for (let run = 0; run < RUNS; run++) {
    it(`random sequence ${run + 1} of ${RUNS}`, async () => {
      const prefix = uniquePrefix(`cmp${run}`);
      prefixes.push(prefix);
      const redis = new RedisLimitStore({ url: REDIS_URL, keyPrefix: prefix, commandTimeoutMs: 5000 });
      const memory = new MemoryLimitStore();
      const rand = prng(0x5eed + run * 7919);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
      let now = T0;
      let seq = 0;
      const decisions: string[] = [];
      let checks = 0;
      let settles = 0;
      let admitted = 0;
      let refused = 0;
      let clamped = 0;
      let foundSettles = 0;
      try {
        while (checks < CHECKS_PER_RUN) {
          // Time moves on by 0–900 ms (sometimes not at all, often in steps of 250 ms so that
          // entries land exactly on window and lapse boundaries), now and then by a lot.
          const jump = rand();
          now += jump < 0.15 ? 0 : jump < 0.55 ? 250 * Math.floor(rand() * 4) : jump < 0.95 ? Math.floor(rand() * 900) : 3000 + Math.floor(rand() * 5000);
          if (rand() < 0.2) now += (250 - (now % 250)) % 250;
          // Callers may pass `now` out of order (arrival times): now and then a call is stamped
          // up to 1.5 s before the latest one.
          const at = rand() < 0.15 ? now - Math.floor(rand() * 1500) : now;
          if (decisions.length && rand() < 0.3) {
            // Settle an earlier decision (maybe already settled, maybe lapsed), or an unknown one.
            const id = rand() < 0.1 ? `unknown-${seq++}` : pick(decisions);
            const [mr, rr] = [memory.reservations(id), await redis.reservations(id)];
            expect(rr, `reservations of ${id} at ${now - T0}`).toEqual(mr);
            const actual = new Map<number, number>();
            for (const ref of mr) if (rand() < 0.9) actual.set(ref.index, Math.floor(rand() * 2 * (ref.reserved + 20)));
            // The engine settles only decisions with reservations; the stores must agree either way.
            const ms = memory.settle(id, actual, at);
            const rs = await redis.settle(id, actual, at);
            expect(rs, `settle ${id} at ${now - T0}`).toEqual(ms);
            settles++;
            if (ms.found) foundSettles++;
            continue;
          }
          const n = 1 + Math.floor(rand() * 3);
          const order = [...KEYS];
          for (let i = order.length - 1; i > 0; i--) {
            const j = Math.floor(rand() * (i + 1));
            [order[i], order[j]] = [order[j]!, order[i]!];
          }
          const specs = order.slice(0, n);
          const call: Check[] = specs.map((s) => {
            // Amounts mostly small, sometimes large, sometimes more than the capacity.
            const r = rand();
            const amount = r < 0.1 ? 0 : r < 0.8 ? 1 + Math.floor(rand() * Math.max(1, s.capacity / 5)) : Math.floor(rand() * s.capacity * 1.2);
            // Limits come from the context: now and then a smaller or larger one.
            const capacity = rand() < 0.1 ? Math.floor(s.capacity * (0.5 + rand())) : s.capacity;
            const minAmount = s.kind !== 'window' && rand() < 0.3 ? Math.floor(rand() * (amount + 1)) : undefined;
            return {
              kind: s.kind,
              key: s.key,
              amount,
              capacity,
              ...(s.windowMs !== undefined ? { windowMs: s.windowMs } : {}),
              ...(s.periodEndMs !== undefined ? { periodEndMs: s.periodEndMs } : {}),
              ...(s.reservationTtlMs !== undefined ? { reservationTtlMs: s.reservationTtlMs } : {}),
              ...(minAmount !== undefined ? { minAmount } : {}),
            };
          });
          const dryRun = rand() < 0.1;
          const meta = call.map((c, i) => (c.kind === 'window' ? undefined : JSON.stringify({ u: 'usd', m: `model-${i}` })));
          const id = `00000000-0000-4000-8000-${String(run).padStart(4, '0')}${String(seq++).padStart(8, '0')}`;
          const m = memory.check(id, call, at, dryRun, meta);
          const r = await redis.check(id, call, at, dryRun, meta);
          expect(strip(r), `check #${checks} at +${at - T0} ms: ${JSON.stringify(call)} dryRun=${dryRun}`).toEqual(strip(m));
          checks++;
          if (m.admitted && !dryRun) {
            admitted++;
            if (m.outcomes.some((o, i) => o.granted < call[i]!.amount)) clamped++;
            decisions.push(id);
            expect(await redis.reservations(id)).toEqual(memory.reservations(id));
          } else if (!m.admitted) refused++;
          m.outcomes.forEach((o, i) => {
            if (o.fits) return;
            if (o.retryAfterMs === undefined) seen.noRetry++;
            else if (call[i]!.kind === 'window') seen.retryWindow++;
            else if (call[i]!.kind === 'rolling') seen.retryRolling++;
            else seen.retryCalendar++;
          });
        }
        // The state left behind: every key holds the same.
        now += 1;
        const probe: Check[] = KEYS.map((s) => ({
          kind: s.kind,
          key: s.key,
          amount: 0,
          capacity: Number.MAX_SAFE_INTEGER,
          ...(s.windowMs !== undefined ? { windowMs: s.windowMs } : {}),
          ...(s.periodEndMs !== undefined ? { periodEndMs: s.periodEndMs } : {}),
          ...(s.reservationTtlMs !== undefined ? { reservationTtlMs: s.reservationTtlMs } : {}),
        }));
        expect(strip(await redis.check('final', probe, now, true, []))).toEqual(strip(memory.check('final', probe, now, true, [])));
        // The sequence exercised what it is meant to.
        expect(admitted).toBeGreaterThan(20);
        expect(refused).toBeGreaterThan(20);
        expect(settles).toBeGreaterThan(20);
        seen.clamped += clamped;
        seen.foundSettles += foundSettles;
      } finally {
        await redis.close();
        memory.close();
      }
    });
  }

  it('the runs covered clamps, settlements and every kind of retry', () => {
    expect(seen.clamped).toBeGreaterThan(5);
    expect(seen.foundSettles).toBeGreaterThan(50);
    expect(seen.retryWindow).toBeGreaterThan(20);
    expect(seen.retryRolling).toBeGreaterThan(20);
    expect(seen.retryCalendar).toBeGreaterThan(5);
    expect(seen.noRetry).toBeGreaterThan(0);
  });
});
