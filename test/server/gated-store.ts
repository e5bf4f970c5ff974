// A limit store that answers only when the test lets it: requests whose
// policies consult it stay in flight (for shutdown and deadline tests).

import { MemoryLimitStore } from '../../src/limits/memory-store.js';
import type { Check, LimitStore, ReservationRef, SettleResult, StoreResult } from '../../src/limits/types.js';

export class GatedStore implements LimitStore {
  readonly synchronous = false;
  readonly name = 'gated';
  private readonly inner = new MemoryLimitStore();
  private waiting: (() => void)[] = [];
  /** Checks that have arrived and wait for release(). */
  get held(): number {
    return this.waiting.length;
  }

  check(decisionId: string, checks: readonly Check[], nowMs: number, dryRun: boolean, meta: readonly (string | undefined)[]): Promise<StoreResult> {
    return new Promise<void>((resolve) => this.waiting.push(resolve)).then(() => this.inner.check(decisionId, checks, nowMs, dryRun, meta));
  }
  reservations(decisionId: string): ReservationRef[] {
    return this.inner.reservations(decisionId);
  }
  settle(decisionId: string, actual: ReadonlyMap<number, number>, nowMs: number): SettleResult {
    return this.inner.settle(decisionId, actual, nowMs);
  }
  release(): void {
    const w = this.waiting;
    this.waiting = [];
    for (const r of w) r();
  }
  close(): void {
    this.release();
  }
}

/** Resolves once `cond` holds (polling), or rejects after `ms`. */
export async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
