// The in-process limit store: exact sliding windows and budgets with
// reservations, for one engine (or several sharing this object in one
// process). Every call runs to completion synchronously, so check-and-reserve
// is atomic without locks. For limits shared by replicas use the Redis store.

import { OrderedQueue } from './ordered-queue.js';
import type { Check, CheckKind, CheckOutcome, LimitStore, ReservationRef, SettleResult, StoreResult } from './types.js';

interface Entry {
  readonly id: string;
  readonly ts: number;
  amount: number;
  /** Set while the entry is an unsettled budget reservation: when it lapses. */
  pendingUntil?: number;
}

interface KeyState {
  readonly kind: CheckKind;
  /** window/rolling: entries in time order. */
  readonly entries: OrderedQueue<Entry>;
  /** Sum of the live entries' amounts (window/rolling) or of pending reservations (calendar). */
  total: number;
  /** calendar: settled use in the period. */
  spent: number;
  /** Budgets: open reservations by id. */
  readonly pending: Map<string, Entry>;
  /** Budgets: reservation ids in the order they lapse (one TTL per key). */
  readonly pendingOrder: OrderedQueue<Entry>;
  /** When the key holds nothing useful any more and may be dropped. */
  expiresAt: number;
  /** window/rolling: the window length (for late reports, which the check does not accompany). */
  windowMs?: number;
}

interface DecisionRecord {
  readonly refs: (ReservationRef & { entryId: string })[];
  readonly expiresAt: number;
}

/** How long a decision's reservations stay settleable after they lapse (late usage reports still count). */
const SETTLE_GRACE_MS = 60 * 60 * 1000;

/**
 * Lapsed reservations release what they held. `pendingOrder` holds reservations
 * in lapse order (inserted in place when made out of time order — callers may
 * pass `now` out of order); settled ones stay in it until they reach the front.
 */
function dropLapsed(s: KeyState, nowMs: number): void {
  for (let e = s.pendingOrder.peek(); e; e = s.pendingOrder.peek()) {
    const open = s.pending.get(e.id) === e;
    if (open && (e.pendingUntil ?? Infinity) > nowMs) break;
    s.pendingOrder.shift();
    if (open) {
      s.pending.delete(e.id);
      s.total -= e.amount;
      e.amount = 0;
    }
  }
}

function newState(kind: CheckKind, nowMs: number): KeyState {
  return {
    kind,
    entries: new OrderedQueue<Entry>((e) => e.ts),
    total: 0,
    spent: 0,
    pending: new Map(),
    pendingOrder: new OrderedQueue<Entry>((e) => e.pendingUntil ?? Infinity),
    expiresAt: nowMs,
  };
}

export class MemoryLimitStore implements LimitStore {
  readonly synchronous = true;
  readonly name = 'memory';
  private readonly keys = new Map<string, KeyState>();
  private readonly decisions = new Map<string, DecisionRecord>();
  private ops = 0;
  // Map iterators stay valid while entries are added and deleted.
  private keyCursor = this.keys.entries();
  private decisionCursor = this.decisions.entries();

  check(decisionId: string, checks: readonly Check[], nowMs: number, dryRun: boolean, budgetMeta: readonly (string | undefined)[]): StoreResult {
    this.maybeSweep(nowMs);
    const states = checks.map((c) => this.state(c, nowMs));
    const outcomes: CheckOutcome[] = [];
    let admitted = true;
    const grants: number[] = [];
    checks.forEach((c, i) => {
      const s = states[i]!;
      const used = s.total + s.spent;
      let grant = -1;
      if (used + c.amount <= c.capacity) grant = c.amount;
      else if (c.minAmount !== undefined && used + c.minAmount <= c.capacity) grant = c.capacity - used;
      const fits = grant >= 0;
      if (!fits) admitted = false;
      grants.push(Math.max(0, grant));
      outcomes.push({ fits, granted: 0, used, ...(fits ? {} : { retryAfterMs: this.retryAfter(c, s, nowMs) }) });
    });
    // Refused, or a dry run: nothing is consumed or reserved.
    if (!admitted || dryRun) return { admitted, outcomes };

    const refs: DecisionRecord['refs'] = [];
    let ttl = 0;
    checks.forEach((c, i) => {
      const s = states[i]!;
      const amount = grants[i]!;
      const entryId = `${decisionId}#${i}`;
      const entry: Entry = { id: entryId, ts: nowMs, amount };
      if (c.kind === 'window') {
        s.entries.insert(entry);
        s.total += amount;
        s.expiresAt = Math.max(s.expiresAt, nowMs + (c.windowMs ?? 0));
      } else {
        const rttl = c.reservationTtlMs ?? 0;
        entry.pendingUntil = nowMs + rttl;
        s.pending.set(entryId, entry);
        // Settled or lapsed reservations still in the queue do not fix the order.
        s.pendingOrder.insert(entry, (other) => s.pending.get(other.id) !== other);
        s.total += amount;
        if (c.kind === 'rolling') {
          s.entries.insert(entry);
          // Fix: keep the key as long as the decision stays settleable (the TTL plus an hour), as
          // calendar keys are kept: a sweep in between dropped it, and a late report with it.
          s.expiresAt = Math.max(s.expiresAt, nowMs + (c.windowMs ?? 0) + rttl, nowMs + rttl + SETTLE_GRACE_MS);
        } else {
          s.expiresAt = Math.max(s.expiresAt, (c.periodEndMs ?? nowMs) + rttl + SETTLE_GRACE_MS);
        }
        ttl = Math.max(ttl, rttl);
        refs.push({ index: i, kind: c.kind, key: c.key, reserved: amount, meta: budgetMeta[i] ?? '', entryId });
      }
      outcomes[i] = { ...outcomes[i]!, granted: amount };
    });
    if (refs.length) this.decisions.set(decisionId, { refs, expiresAt: nowMs + ttl + SETTLE_GRACE_MS });
    return { admitted: true, outcomes };
  }

  reservations(decisionId: string): ReservationRef[] {
    const d = this.decisions.get(decisionId);
    return d ? d.refs.map(({ entryId: _entryId, ...r }) => r) : [];
  }

  settle(decisionId: string, actual: ReadonlyMap<number, number>, nowMs: number): SettleResult {
    const d = this.decisions.get(decisionId);
    if (!d) return { settled: 0, found: false };
    this.decisions.delete(decisionId);
    let settled = 0;
    for (const ref of d.refs) {
      const amount = actual.get(ref.index);
      if (amount === undefined) continue;
      const s = this.keys.get(ref.key);
      const entry = s?.pending.get(ref.entryId);
      if (s && entry) {
        s.pending.delete(ref.entryId);
        s.total -= entry.amount;
        entry.pendingUntil = undefined;
        if (ref.kind === 'calendar') {
          s.spent += amount;
          // The entry was only a reservation; its use now lives in `spent`.
        } else {
          entry.amount = amount;
          s.total += amount;
        }
      } else if (s) {
        // The reservation lapsed before the report: the use still happened and still counts.
        if (ref.kind === 'calendar') s.spent += amount;
        else {
          s.entries.insert({ id: ref.entryId, ts: nowMs, amount });
          s.total += amount;
          // Fix: the late use counts for a whole window from now: keep the key that long.
          s.expiresAt = Math.max(s.expiresAt, nowMs + (s.windowMs ?? 0));
        }
      }
      settled++;
    }
    return { settled, found: true };
  }

  close(): void {
    this.keys.clear();
    this.decisions.clear();
  }

  /** The key's state with lapsed entries and reservations dropped. */
  private state(c: Check, nowMs: number): KeyState {
    let s = this.keys.get(c.key);
    if (!s || s.kind !== c.kind) {
      s = newState(c.kind, nowMs);
      this.keys.set(c.key, s);
    }
    if (c.windowMs !== undefined) s.windowMs = c.windowMs;
    dropLapsed(s, nowMs);
    if (c.windowMs !== undefined && (c.kind === 'window' || c.kind === 'rolling')) {
      const start = nowMs - c.windowMs;
      for (let e = s.entries.peek(); e && e.ts <= start; e = s.entries.peek()) {
        s.entries.shift();
        s.total -= e.amount;
        if (e.pendingUntil !== undefined) {
          s.pending.delete(e.id);
          e.pendingUntil = undefined;
        }
      }
    }
    return s;
  }

  /** How long until `c.amount` would fit, as the oldest uses age out; undefined if it never can. */
  private retryAfter(c: Check, s: KeyState, nowMs: number): number | undefined {
    const need = s.total + s.spent + (c.minAmount ?? c.amount) - c.capacity;
    if ((c.minAmount ?? c.amount) > c.capacity) return undefined;
    if (c.kind === 'calendar') {
      const periodEnd = c.periodEndMs === undefined ? undefined : Math.max(0, c.periodEndMs - nowMs);
      // Refused only because of open reservations (the settled use leaves room): they free their
      // share when they lapse, at the latest — much sooner than the period's end.
      if (s.spent + (c.minAmount ?? c.amount) <= c.capacity) {
        let freed = 0;
        for (const e of s.pendingOrder) {
          if (e.pendingUntil === undefined || e.amount <= 0) continue;
          freed += e.amount;
          if (freed >= need) {
            const wait = Math.max(1, Math.ceil(e.pendingUntil - nowMs));
            return periodEnd === undefined ? wait : Math.min(wait, periodEnd);
          }
        }
      }
      return periodEnd;
    }
    // When each entry stops counting: at the end of its window, or when its reservation lapses.
    const frees = [...s.entries]
      .filter((e) => e.amount > 0)
      .map((e) => ({ at: Math.min(e.ts + (c.windowMs ?? 0), e.pendingUntil ?? Infinity), amount: e.amount }))
      .sort((a, b) => a.at - b.at);
    let freed = 0;
    for (const f of frees) {
      freed += f.amount;
      // Fix: an entry stops counting AT `at` (window: ts <= now - window; reservation: pendingUntil <= now),
      // so the wait is exactly at - now; the former `+ 1` made retry_after_ms one millisecond late.
      if (freed >= need) return Math.max(1, Math.ceil(f.at - nowMs));
    }
    return undefined;
  }

  /** Drops keys and decision records nobody can use any more, a few at a time, resuming where it stopped. */
  private maybeSweep(nowMs: number): void {
    if (++this.ops % 256 !== 0) return;
    for (let n = 0; n < 64; n++) {
      let r = this.keyCursor.next();
      if (r.done) {
        this.keyCursor = this.keys.entries();
        r = this.keyCursor.next();
        if (r.done) break;
      }
      const [k, s] = r.value;
      // Fix: reservations that lapsed while nobody checked the key (an old calendar period is
      // never checked again) kept `pending` non-empty, so such keys were never dropped.
      if (s.expiresAt < nowMs) dropLapsed(s, nowMs);
      if (s.expiresAt < nowMs && s.pending.size === 0) this.keys.delete(k);
    }
    for (let n = 0; n < 64; n++) {
      let r = this.decisionCursor.next();
      if (r.done) {
        this.decisionCursor = this.decisions.entries();
        r = this.decisionCursor.next();
        if (r.done) break;
      }
      const [id, d] = r.value;
      if (d.expiresAt < nowMs) this.decisions.delete(id);
    }
  }

  /** For tests and stats: number of keys held. */
  get size(): number {
    return this.keys.size;
  }
}
