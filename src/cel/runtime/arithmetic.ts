// Arithmetic operators with CEL semantics: int64 and uint64 are exact and
// overflow is an error; doubles follow IEEE 754 (x/0.0 is ±Inf). Mixed
// int/double operands are an error in strict CEL; with numeric promotion (the
// policy default, see docs/policy-language.md) they compute in double.

import { CelError, noSuchOverload, overflow } from '../errors.js';
import { CelDuration, CelTimestamp, CelUint, MAX_INT, MAX_UINT, MIN_INT, kindName } from '../values.js';
import { concatBytes } from './strings.js';
import { addDurations, addToTimestamp, makeDuration, negateDuration, subtractTimestamps } from './time.js';

export function checkInt(r: bigint, op: string): bigint {
  if (r > MAX_INT || r < MIN_INT) throw overflow(op);
  return r;
}

export function checkUint(r: bigint, op: string): CelUint {
  if (r > MAX_UINT || r < 0n) throw overflow(op);
  return new CelUint(r);
}

/** A double operand for promoted arithmetic, or undefined when v is not a number. */
function asDouble(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof CelUint) return Number(v.value);
  return undefined;
}

function promoted(op: string, a: unknown, b: unknown, f: (x: number, y: number) => number): number {
  const x = asDouble(a);
  const y = asDouble(b);
  if (x === undefined || y === undefined) throw noSuchOverload(op, kindName(a), kindName(b));
  return f(x, y);
}

export function add(a: unknown, b: unknown, promote: boolean): unknown {
  switch (typeof a) {
    case 'bigint':
      if (typeof b === 'bigint') return checkInt(a + b, '+');
      break;
    case 'number':
      if (typeof b === 'number') return a + b;
      break;
    case 'string':
      if (typeof b === 'string') return a + b;
      break;
    case 'object':
      if (Array.isArray(a)) {
        if (Array.isArray(b)) return a.length === 0 ? b : b.length === 0 ? a : a.concat(b);
      } else if (a instanceof CelUint) {
        if (b instanceof CelUint) return checkUint(a.value + b.value, '+');
      } else if (a instanceof Uint8Array) {
        if (b instanceof Uint8Array) return concatBytes(a, b);
      } else if (a instanceof CelTimestamp) {
        if (b instanceof CelDuration) return addToTimestamp(a, b);
      } else if (a instanceof CelDuration) {
        if (b instanceof CelDuration) return addDurations(a, b);
        if (b instanceof CelTimestamp) return addToTimestamp(b, a);
      }
      break;
  }
  if (promote && isMixedNumeric(a, b)) return promoted('_+_', a, b, (x, y) => x + y);
  throw noSuchOverload('_+_', kindName(a), kindName(b));
}

export function subtract(a: unknown, b: unknown, promote: boolean): unknown {
  switch (typeof a) {
    case 'bigint':
      if (typeof b === 'bigint') return checkInt(a - b, '-');
      break;
    case 'number':
      if (typeof b === 'number') return a - b;
      break;
    case 'object':
      if (a instanceof CelUint) {
        if (b instanceof CelUint) return checkUint(a.value - b.value, '-');
      } else if (a instanceof CelTimestamp) {
        if (b instanceof CelTimestamp) return subtractTimestamps(a, b);
        if (b instanceof CelDuration) return addToTimestamp(a, negateDuration(b));
      } else if (a instanceof CelDuration) {
        if (b instanceof CelDuration) return makeDuration(a.seconds - b.seconds, a.nanos - b.nanos);
      }
      break;
  }
  if (promote && isMixedNumeric(a, b)) return promoted('_-_', a, b, (x, y) => x - y);
  throw noSuchOverload('_-_', kindName(a), kindName(b));
}

export function multiply(a: unknown, b: unknown, promote: boolean): unknown {
  if (typeof a === 'bigint' && typeof b === 'bigint') return checkInt(a * b, '*');
  if (typeof a === 'number' && typeof b === 'number') return a * b;
  if (a instanceof CelUint && b instanceof CelUint) return checkUint(a.value * b.value, '*');
  if (promote && isMixedNumeric(a, b)) return promoted('_*_', a, b, (x, y) => x * y);
  throw noSuchOverload('_*_', kindName(a), kindName(b));
}

export function divide(a: unknown, b: unknown, promote: boolean): unknown {
  if (typeof a === 'bigint' && typeof b === 'bigint') {
    if (b === 0n) throw new CelError('division by zero');
    if (a === MIN_INT && b === -1n) throw overflow('/');
    return a / b;
  }
  if (typeof a === 'number' && typeof b === 'number') return a / b;
  if (a instanceof CelUint && b instanceof CelUint) {
    if (b.value === 0n) throw new CelError('division by zero');
    return new CelUint(a.value / b.value);
  }
  if (promote && isMixedNumeric(a, b)) return promoted('_/_', a, b, (x, y) => x / y);
  throw noSuchOverload('_/_', kindName(a), kindName(b));
}

export function modulo(a: unknown, b: unknown): unknown {
  if (typeof a === 'bigint' && typeof b === 'bigint') {
    if (b === 0n) throw new CelError('modulus by zero');
    if (a === MIN_INT && b === -1n) throw overflow('%');
    return a % b;
  }
  if (a instanceof CelUint && b instanceof CelUint) {
    if (b.value === 0n) throw new CelError('modulus by zero');
    return new CelUint(a.value % b.value);
  }
  throw noSuchOverload('_%_', kindName(a), kindName(b));
}

export function negate(a: unknown): unknown {
  if (typeof a === 'bigint') return checkInt(-a, 'unary -');
  if (typeof a === 'number') return -a;
  if (a instanceof CelDuration) return negateDuration(a);
  throw noSuchOverload('-_', kindName(a));
}

/** int/uint mixed with double (not int with uint: that stays an error, as its result type is unclear). */
function isMixedNumeric(a: unknown, b: unknown): boolean {
  const an = typeof a === 'number';
  const bn = typeof b === 'number';
  if (an === bn) return false;
  const other = an ? b : a;
  return typeof other === 'bigint' || other instanceof CelUint;
}
