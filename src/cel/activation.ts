// The per-evaluation state a compiled program runs against.

import { CelTimestamp } from './values.js';

/** Marks a lazy slot (let binding, cel.bind, cel.block) not yet computed. */
export const UNSET: unique symbol = Symbol('unset');

/** A slot whose computation threw: the error is kept so it is thrown again, not recomputed. */
export class Failed {
  constructor(readonly error: unknown) {}
}

export class Activation {
  /** Comprehension variables and lazily computed bindings, by compile-time slot index. */
  readonly slots: unknown[];
  /** node id → value, filled only by traced programs. */
  trace: Map<number, unknown> | undefined;
  /** Memoised results of expensive built-ins (tokens, pii, ...) for this evaluation. */
  memo: Map<string, unknown> | undefined;
  private nowValue: CelTimestamp | undefined;

  constructor(
    /** The evaluation context: top-level variables by name. */
    readonly vars: Readonly<Record<string, unknown>>,
    slotCount: number,
    lazySlots: readonly number[] = [],
    now?: CelTimestamp,
  ) {
    this.slots = new Array(slotCount);
    for (const i of lazySlots) this.slots[i] = UNSET;
    this.nowValue = now;
  }

  /** The evaluation's clock: read once, so every now() in one evaluation agrees. */
  now(): CelTimestamp {
    if (!this.nowValue) {
      const ms = Date.now();
      const seconds = Math.floor(ms / 1000);
      this.nowValue = new CelTimestamp(seconds, (ms - seconds * 1000) * 1_000_000);
    }
    return this.nowValue;
  }
}
