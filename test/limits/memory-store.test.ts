// The in-memory limit store on its own: sliding windows (exact boundaries and
// retry times), calendar and rolling budgets with reservations, settlement,
// lapses, clamping, all-or-nothing calls, dry runs and the sweep.

import { describe, expect, test } from 'vitest';
import { MemoryLimitStore } from '../../src/limits/memory-store.js';
import type { Check } from '../../src/limits/types.js';

const T = 1_000_000_000;
const win = (key: string, amount: number, capacity: number, windowMs = 1000): Check => ({ kind: 'window', key, amount, capacity, windowMs });
const cal = (key: string, amount: number, capacity: number, extra: Partial<Check> = {}): Check => ({ kind: 'calendar', key, amount, capacity, periodEndMs: T + 86_400_000, reservationTtlMs: 600_000, ...extra });
const roll = (key: string, amount: number, capacity: number, extra: Partial<Check> = {}): Check => ({ kind: 'rolling', key, amount, capacity, windowMs: 3_600_000, reservationTtlMs: 600_000, ...extra });

let ids = 0;
function check(s: MemoryLimitStore, checks: Check[], now: number, dryRun = false, id = `d${++ids}`) {
  return { id, ...s.check(id, checks, now, dryRun, checks.map((c) => (c.kind === 'window' ? undefined : 'meta'))) };
}
/** What `c.key` holds at `now`, asked without counting. */
function used(s: MemoryLimitStore, c: Check, now: number): number {
  return s.check('probe', [{ ...c, amount: 0 }], now, true, []).outcomes[0]!.used;
}

describe('sliding window', () => {
  test('admits while the window holds less than the capacity, and reports what it held', () => {
    const s = new MemoryLimitStore();
    const r = [0, 1, 2, 3].map((i) => check(s, [win('k', 1, 3)], T + i));
    expect(r.map((x) => x.admitted)).toEqual([true, true, true, false]);
    expect(r.map((x) => x.outcomes[0]!.used)).toEqual([0, 1, 2, 3]);
    expect(r.map((x) => x.outcomes[0]!.granted)).toEqual([1, 1, 1, 0]);
    expect(r[3]!.outcomes[0]!.fits).toBe(false);
  });

  test('an entry leaves the window when its time <= now - window, and retryAfterMs says exactly when', () => {
    const s = new MemoryLimitStore();
    expect(check(s, [win('k', 1, 1)], T).admitted).toBe(true);
    const refused = check(s, [win('k', 1, 1)], T + 400);
    expect(refused.admitted).toBe(false);
    expect(refused.outcomes[0]!.retryAfterMs).toBe(600);
    expect(check(s, [win('k', 1, 1)], T + 999).outcomes[0]!.retryAfterMs).toBe(1);
    // At T + 1000 the entry made at T is out: T <= (T + 1000) - 1000.
    expect(check(s, [win('k', 1, 1)], T + 1000).admitted).toBe(true);
    expect(check(s, [win('k', 1, 1)], T + 1000).outcomes[0]!.retryAfterMs).toBe(1000);
  });

  test('weighted: the retry time is when enough of the oldest costs have left', () => {
    const s = new MemoryLimitStore();
    check(s, [win('k', 4, 10, 60_000)], T);
    check(s, [win('k', 3, 10, 60_000)], T + 10_000);
    check(s, [win('k', 3, 10, 60_000)], T + 20_000);
    // 10 used; 5 more need 5 to leave: the 4 at T (at T+60s) are not enough, with the 3 at T+10s (T+70s) they are.
    const r = check(s, [win('k', 5, 10, 60_000)], T + 30_000);
    expect(r.outcomes[0]).toEqual({ fits: false, granted: 0, used: 10, retryAfterMs: 40_000 });
    expect(check(s, [win('k', 5, 10, 60_000)], T + 69_999).admitted).toBe(false);
    expect(check(s, [win('k', 5, 10, 60_000)], T + 70_000).admitted).toBe(true);
  });

  test('an amount larger than the capacity never fits and has no retry time', () => {
    const s = new MemoryLimitStore();
    const r = check(s, [win('k', 11, 10)], T);
    expect(r.admitted).toBe(false);
    expect(r.outcomes[0]!.retryAfterMs).toBeUndefined();
    expect(check(s, [win('k', 10, 10)], T).admitted).toBe(true);
  });

  test('keys are counted separately', () => {
    const s = new MemoryLimitStore();
    expect(check(s, [win('a', 1, 1)], T).admitted).toBe(true);
    expect(check(s, [win('b', 1, 1)], T).admitted).toBe(true);
    expect(check(s, [win('a', 1, 1)], T).admitted).toBe(false);
  });
});

describe('all or nothing', () => {
  test('when one check does not fit, no check of the call consumes or reserves anything', () => {
    const s = new MemoryLimitStore();
    check(s, [cal('b', 60, 100)], T);
    const r = check(s, [win('w', 1, 5), cal('b', 60, 100), roll('r', 1, 10)], T + 1);
    expect(r.admitted).toBe(false);
    expect(r.outcomes.map((o) => [o.fits, o.granted])).toEqual([[true, 0], [false, 0], [true, 0]]);
    expect(used(s, win('w', 1, 5), T + 2)).toBe(0);
    expect(used(s, roll('r', 1, 10), T + 2)).toBe(0);
    expect(s.reservations(r.id)).toEqual([]);
  });

  test('a dry run consumes and reserves nothing, and says whether it would fit', () => {
    const s = new MemoryLimitStore();
    const r = check(s, [win('w', 1, 1), cal('b', 60, 100)], T, true);
    expect(r.admitted).toBe(true);
    expect(r.outcomes.map((o) => o.fits)).toEqual([true, true]);
    expect(used(s, win('w', 1, 1), T)).toBe(0);
    expect(used(s, cal('b', 60, 100), T)).toBe(0);
    expect(s.reservations(r.id)).toEqual([]);
    check(s, [win('w', 1, 1)], T);
    expect(check(s, [win('w', 1, 1)], T, true).admitted).toBe(false);
  });
});

describe('calendar budgets', () => {
  test('a reservation counts at once; settling replaces it with the actual use', () => {
    const s = new MemoryLimitStore();
    const a = check(s, [cal('b', 60, 100)], T);
    expect(a.admitted).toBe(true);
    expect(s.reservations(a.id)).toEqual([{ index: 0, kind: 'calendar', key: 'b', reserved: 60, meta: 'meta' }]);
    expect(check(s, [cal('b', 60, 100)], T + 1).admitted).toBe(false);
    expect(s.settle(a.id, new Map([[0, 25]]), T + 2)).toEqual({ settled: 1, found: true });
    expect(used(s, cal('b', 0, 100), T + 3)).toBe(25);
    expect(check(s, [cal('b', 60, 100)], T + 4).admitted).toBe(true);
    // Settled once: the decision is forgotten.
    expect(s.settle(a.id, new Map([[0, 25]]), T + 5)).toEqual({ settled: 0, found: false });
    expect(s.reservations(a.id)).toEqual([]);
    expect(used(s, cal('b', 0, 100), T + 6)).toBe(85);
  });

  test('an unsettled reservation lapses after its TTL (at exactly the TTL); a late report still counts', () => {
    const s = new MemoryLimitStore();
    const a = check(s, [cal('b', 60, 100, { reservationTtlMs: 1000 })], T);
    expect(used(s, cal('b', 0, 100), T + 999)).toBe(60);
    expect(used(s, cal('b', 0, 100), T + 1000)).toBe(0);
    expect(s.settle(a.id, new Map([[0, 70]]), T + 5000)).toEqual({ settled: 1, found: true });
    expect(used(s, cal('b', 0, 100), T + 5001)).toBe(70);
  });

  test('retryAfterMs is the time to the end of the period when the settled use leaves no room', () => {
    const s = new MemoryLimitStore();
    const first = check(s, [cal('b', 100, 100)], T);
    s.settle(first.id, new Map([[0, 100]]), T + 10);
    expect(check(s, [cal('b', 1, 100)], T + 1000).outcomes[0]!.retryAfterMs).toBe(86_400_000 - 1000);
  });

  test('retryAfterMs, when only open reservations are in the way, is when enough of them lapse', () => {
    const s = new MemoryLimitStore();
    check(s, [cal('b', 30, 100)], T); // open: lapses at T + 600 s
    const settled = check(s, [cal('b', 30, 100)], T + 1);
    s.settle(settled.id, new Map([[0, 30]]), T + 2); // 30 spent
    check(s, [cal('b', 40, 100)], T + 3_000); // open: lapses at T + 603 s; the budget is now full
    const r = check(s, [cal('b', 50, 100)], T + 10_000);
    expect(r.admitted).toBe(false);
    // 30 spent + 50 fits; 50 needs both reservations gone (30 + 40), the second lapsing at T + 603 s.
    expect(r.outcomes[0]!.retryAfterMs).toBe(603_000 - 10_000);
    // Never later than the end of the period.
    const late = check(s, [cal('b', 50, 100, { periodEndMs: T + 20_000 })], T + 10_000);
    expect(late.outcomes[0]!.retryAfterMs).toBe(10_000);
  });

  test('clamp: when the amount does not fit but minAmount does, the rest of the capacity is granted and reserved', () => {
    const s = new MemoryLimitStore();
    check(s, [cal('b', 70, 100)], T);
    const r = check(s, [cal('b', 50, 100, { minAmount: 20 })], T + 1);
    expect(r.admitted).toBe(true);
    expect(r.outcomes[0]).toEqual({ fits: true, granted: 30, used: 70 });
    expect(s.reservations(r.id)[0]!.reserved).toBe(30);
    const none = check(s, [cal('b', 50, 100, { minAmount: 1 })], T + 2);
    expect(none.admitted).toBe(false);
    expect(none.outcomes[0]!.used).toBe(100);
  });

  test('a settlement only touches the reservations it names', () => {
    const s = new MemoryLimitStore();
    const a = check(s, [cal('x', 10, 100), cal('y', 10, 100)], T);
    expect(s.settle(a.id, new Map([[1, 3]]), T + 1)).toEqual({ settled: 1, found: true });
    expect(used(s, cal('x', 0, 100), T + 2)).toBe(10);
    expect(used(s, cal('y', 0, 100), T + 2)).toBe(3);
  });
});

describe('rolling budgets', () => {
  test('settled use ages out of the window like a rate limit; retryAfterMs follows', () => {
    const s = new MemoryLimitStore();
    const a = check(s, [roll('r', 60, 100)], T);
    s.settle(a.id, new Map([[0, 80]]), T + 1);
    const r = check(s, [roll('r', 30, 100)], T + 1_800_000);
    expect(r.outcomes[0]).toEqual({ fits: false, granted: 0, used: 80, retryAfterMs: 1_800_000 });
    expect(check(s, [roll('r', 30, 100)], T + 3_599_999).admitted).toBe(false);
    expect(check(s, [roll('r', 30, 100)], T + 3_600_000).admitted).toBe(true);
  });

  test('an unsettled reservation stops counting when it lapses, before the window ends', () => {
    const s = new MemoryLimitStore();
    check(s, [roll('r', 60, 100)], T);
    const r = check(s, [roll('r', 60, 100)], T + 1000);
    expect(r.outcomes[0]!.retryAfterMs).toBe(600_000 - 1000);
    expect(check(s, [roll('r', 60, 100)], T + 600_000).admitted).toBe(true);
  });

  test('a late report for a lapsed rolling reservation counts from the report', () => {
    const s = new MemoryLimitStore();
    const a = check(s, [roll('r', 60, 100)], T);
    expect(used(s, roll('r', 0, 100), T + 600_000)).toBe(0);
    expect(s.settle(a.id, new Map([[0, 50]]), T + 700_000)).toEqual({ settled: 1, found: true });
    expect(used(s, roll('r', 0, 100), T + 700_001)).toBe(50);
    expect(used(s, roll('r', 0, 100), T + 700_000 + 3_600_000)).toBe(0);
  });
});

describe('housekeeping', () => {
  test('keys whose windows have passed are swept, a few at a time', () => {
    const s = new MemoryLimitStore();
    for (let i = 0; i < 100; i++) check(s, [win(`k${i}`, 1, 1)], T);
    expect(s.size).toBe(100);
    for (let i = 0; i < 600; i++) check(s, [win('live', 1, 1_000_000)], T + 10_000);
    expect(s.size).toBe(1);
  });

  test('keys holding only lapsed reservations are swept too (an old calendar period is never checked again)', () => {
    const s = new MemoryLimitStore();
    check(s, [cal('b:2026-03', 10, 100, { reservationTtlMs: 1000, periodEndMs: T + 1000 })], T);
    check(s, [roll('r', 10, 100, { reservationTtlMs: 1000, windowMs: 2000 })], T);
    expect(s.size).toBe(2);
    // Long after the period, the window, the TTL and the grace for late reports.
    for (let i = 0; i < 600; i++) check(s, [win('live', 1, 1_000_000)], T + 10 * 3_600_000);
    expect(s.size).toBe(1);
  });

  test('a late report for a rolling budget counts even when the sweep ran after the reservation lapsed', () => {
    const s = new MemoryLimitStore();
    const r = (amount: number) => roll('r', amount, 100, { reservationTtlMs: 60_000, windowMs: 300_000 });
    const a = check(s, [r(60)], T);
    expect(used(s, r(0), T + 120_000)).toBe(0); // lapsed
    for (let i = 0; i < 600; i++) check(s, [win('live', 1, 1_000_000)], T + 600_000);
    // Still within the hour a decision stays settleable.
    expect(s.settle(a.id, new Map([[0, 50]]), T + 1_200_000)).toEqual({ settled: 1, found: true });
    expect(used(s, r(0), T + 1_200_001)).toBe(50);
    // The late use lives for a whole window from the report, sweeps notwithstanding.
    for (let i = 0; i < 600; i++) check(s, [win('live', 1, 1_000_000)], T + 1_200_000 + 299_000);
    expect(used(s, r(0), T + 1_200_000 + 299_999)).toBe(50);
    expect(used(s, r(0), T + 1_200_000 + 300_000)).toBe(0);
  });

  test('a late report for a long rolling window keeps counting for a whole window, sweeps notwithstanding', () => {
    const s = new MemoryLimitStore();
    const H = 3_600_000;
    const r = (amount: number) => roll('r', amount, 100, { reservationTtlMs: 60_000, windowMs: 2 * H });
    const a = check(s, [r(60)], T);
    expect(used(s, r(0), T + 120_000)).toBe(0); // lapsed
    expect(s.settle(a.id, new Map([[0, 50]]), T + H)).toEqual({ settled: 1, found: true });
    for (let i = 0; i < 600; i++) check(s, [win('live', 1, 1_000_000)], T + 3 * H - 1000);
    expect(used(s, r(0), T + 3 * H - 1)).toBe(50);
    expect(used(s, r(0), T + 3 * H)).toBe(0);
  });

  test('entries made out of time order still leave the window on time', () => {
    const s = new MemoryLimitStore();
    // Callers may pass their own `now`, e.g. arrival times that are slightly out of order.
    expect(check(s, [win('k', 1, 2)], T + 1000).admitted).toBe(true);
    expect(check(s, [win('k', 1, 2)], T).admitted).toBe(true);
    // At T + 1500 the entry made at T is out (T <= T + 1500 - 1000), the one at T + 1000 is not.
    const r = check(s, [win('k', 1, 2)], T + 1500);
    expect(r.outcomes[0]!.used).toBe(1);
    expect(r.admitted).toBe(true);
  });

  test('a reservation stays settleable for an hour after it lapses, then is forgotten', () => {
    const s = new MemoryLimitStore();
    const a = check(s, [cal('b', 10, 100, { reservationTtlMs: 1000, periodEndMs: T + 10 * 86_400_000 })], T);
    const b = check(s, [cal('b', 10, 100, { reservationTtlMs: 1000, periodEndMs: T + 10 * 86_400_000 })], T);
    for (let i = 0; i < 300; i++) check(s, [win('live', 1, 1_000_000)], T + 1000 + 3_600_000 - 1);
    expect(s.reservations(a.id)).toHaveLength(1);
    for (let i = 0; i < 300; i++) check(s, [win('live', 1, 1_000_000)], T + 1000 + 3_600_000 + 1);
    expect(s.settle(a.id, new Map([[0, 5]]), T)).toEqual({ settled: 0, found: false });
    expect(s.reservations(b.id)).toEqual([]);
  });
});
