// Ordering (`<`, `<=`, `>`, `>=`): defined within bool, string, bytes,
// timestamp and duration, and across int/uint/double by mathematical value.
// Anything else is a "no such overload" error. NaN compares false every way.

import { noSuchOverload } from '../errors.js';
import { CelDuration, CelTimestamp, CelUint, kindName } from '../values.js';
import { compareBytes, compareStrings } from './strings.js';
import { compareDurations, compareTimestamps } from './time.js';

/** Negative, zero or positive; NaN when either side is NaN. Throws for incomparable operands. */
export function compare(a: unknown, b: unknown, op: string): number {
  switch (typeof a) {
    case 'number':
      if (typeof b === 'number') return a < b ? -1 : a > b ? 1 : a === b ? 0 : NaN;
      if (typeof b === 'bigint') return compareNumBig(a, b);
      if (b instanceof CelUint) return compareNumBig(a, b.value);
      break;
    case 'bigint':
      if (typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
      if (typeof b === 'number') return -compareNumBig(b, a);
      if (b instanceof CelUint) return a < b.value ? -1 : a > b.value ? 1 : 0;
      break;
    case 'string':
      if (typeof b === 'string') return compareStrings(a, b);
      break;
    case 'boolean':
      if (typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
      break;
    case 'object':
      if (a instanceof CelUint) {
        if (b instanceof CelUint) return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
        if (typeof b === 'bigint') return a.value < b ? -1 : a.value > b ? 1 : 0;
        if (typeof b === 'number') return -compareNumBig(b, a.value);
      } else if (a instanceof CelTimestamp) {
        if (b instanceof CelTimestamp) return compareTimestamps(a, b);
      } else if (a instanceof CelDuration) {
        if (b instanceof CelDuration) return compareDurations(a, b);
      } else if (a instanceof Uint8Array) {
        if (b instanceof Uint8Array) return compareBytes(a, b);
      }
      break;
  }
  throw noSuchOverload(op, kindName(a), kindName(b));
}

/**
 * A double against a 64-bit integer: the integer is converted to double first,
 * as the CEL conformance suite requires (so 2^63-1 < 2^63 as doubles is false).
 */
function compareNumBig(a: number, b: bigint): number {
  const x = Number(b);
  return a < x ? -1 : a > x ? 1 : a === x ? 0 : NaN;
}

export function less(a: unknown, b: unknown): boolean {
  return compare(a, b, '_<_') < 0;
}
export function lessEq(a: unknown, b: unknown): boolean {
  return compare(a, b, '_<=_') <= 0;
}
export function greater(a: unknown, b: unknown): boolean {
  return compare(a, b, '_>_') > 0;
}
export function greaterEq(a: unknown, b: unknown): boolean {
  return compare(a, b, '_>=_') >= 0;
}
