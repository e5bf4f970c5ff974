// The contract between the engine and a limit store (memory or Redis).
//
// All amounts are whole numbers — requests, tokens, or micro-dollars
// (units.ts) — so sums are exact and "never over the budget" means exactly that.
//
// One evaluation sends every limit and budget it needs checked in ONE call:
// the store checks them together and either consumes/reserves all of them or
// none (a request refused by one limit must not use up another). For Redis
// that call is one Lua script: one round trip, atomic across replicas.

export type CheckKind =
  /** A sliding-window rate limit: amounts count until they age out of the window. */
  | 'window'
  /** A budget for a calendar period: the key itself changes with the period. */
  | 'calendar'
  /** A budget over a rolling window: settled amounts age out like a rate limit. */
  | 'rolling';

export interface Check {
  readonly kind: CheckKind;
  /** The storage key, unique per policy, rule, key value (and period, for calendar budgets). */
  readonly key: string;
  /** What this request uses (≥ 0). */
  readonly amount: number;
  /** The most the key may hold. */
  readonly capacity: number;
  /** window and rolling: the window length. */
  readonly windowMs?: number;
  /** calendar: when the period ends (the key can be dropped after it, plus the reservation TTL). */
  readonly periodEndMs?: number;
  /** Budgets: how long a reservation holds when no usage is reported. */
  readonly reservationTtlMs?: number;
  /**
   * Budgets with on_exceed: clamp — when `amount` does not fit, grant whatever
   * remains if it is at least this much (the engine then clamps max_tokens).
   */
  readonly minAmount?: number;
}

export interface CheckOutcome {
  /** Whether this check, on its own, fits (possibly partly, see `granted`). */
  readonly fits: boolean;
  /** What was consumed or reserved — `amount`, less when clamped, 0 when the call admitted nothing. */
  readonly granted: number;
  /** What the key held before this request (including open reservations). */
  readonly used: number;
  /** When it does not fit: how long until it would (window and rolling: as entries age out; calendar: to the period end). */
  readonly retryAfterMs?: number;
}

export interface StoreResult {
  /** True when every check fits: then, and only then, all were consumed/reserved. */
  readonly admitted: boolean;
  readonly outcomes: readonly CheckOutcome[];
}

/** A budget reservation made by a decision, as kept by the store for settlement. */
export interface ReservationRef {
  /** Index of the check in the decision's call. */
  readonly index: number;
  readonly kind: CheckKind;
  readonly key: string;
  readonly reserved: number;
  /** Opaque to the store: what the engine needs to price the actual usage (unit, model). */
  readonly meta: string;
}

export interface SettleResult {
  /** Reservations found and settled. */
  readonly settled: number;
  /** False when the decision is unknown to the store (never reserved, already settled, or forgotten). */
  readonly found: boolean;
}

export interface LimitStore {
  /** A store whose calls complete synchronously can serve evaluateSync(). */
  readonly synchronous: boolean;
  readonly name: string;
  /**
   * Checks every limit of one decision together. With `dryRun` nothing is
   * consumed or reserved. `budgetMeta[i]` is kept with check i's reservation
   * (budgets only) for reportUsage.
   */
  check(decisionId: string, checks: readonly Check[], nowMs: number, dryRun: boolean, budgetMeta: readonly (string | undefined)[]): StoreResult | Promise<StoreResult>;
  /** The reservations a decision holds (empty when none, or forgotten). */
  reservations(decisionId: string): ReservationRef[] | Promise<ReservationRef[]>;
  /** Replaces each reservation with the actual use (by reservation index); amounts are whole units. */
  settle(decisionId: string, actual: ReadonlyMap<number, number>, nowMs: number): SettleResult | Promise<SettleResult>;
  /** Releases resources (connections, timers). */
  close(): void | Promise<void>;
}
