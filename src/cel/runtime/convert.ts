// Type conversion functions: int(), uint(), double(), string(), bytes(),
// bool(), timestamp(), duration(). Range and format errors are CelErrors.

import { CelError, noSuchOverload } from '../errors.js';
import {
  CelDuration,
  CelTimestamp,
  CelUint,
  MAX_INT,
  MAX_UINT,
  MIN_INT,
  kindName,
} from '../values.js';
import { utf8Decode, utf8Encode } from './strings.js';
import { checkTimestamp, formatDuration, formatTimestamp, parseDuration, parseTimestamp } from './time.js';

// 2^63 and 2^64 as doubles: the first values outside int64/uint64.
const TWO_63 = 9223372036854775808;
const TWO_64 = 18446744073709551616;

export function toInt(v: unknown): bigint {
  switch (typeof v) {
    case 'bigint':
      return v;
    case 'number':
      if (!Number.isFinite(v) || v >= TWO_63 || v <= -TWO_63) throw new CelError(`int(${formatDouble(v)}): out of the int64 range`);
      return BigInt(Math.trunc(v));
    case 'string': {
      if (!/^[+-]?\d+$/.test(v)) throw new CelError(`int('${v}'): not an integer`);
      const r = BigInt(v);
      if (r > MAX_INT || r < MIN_INT) throw new CelError(`int('${v}'): out of the int64 range`);
      return r;
    }
    case 'object':
      if (v instanceof CelUint) {
        if (v.value > MAX_INT) throw new CelError(`int(${v.value}u): out of the int64 range`);
        return v.value;
      }
      if (v instanceof CelTimestamp) return BigInt(v.seconds);
      break;
  }
  throw noSuchOverload('int', kindName(v));
}

export function toUint(v: unknown): CelUint {
  switch (typeof v) {
    case 'bigint':
      if (v < 0n) throw new CelError(`uint(${v}): negative values are out of the uint64 range`);
      return new CelUint(v);
    case 'number':
      // Any negative double is out of range, -0.5 included (as in cel-go); -0.0 is 0.
      if (!Number.isFinite(v) || v >= TWO_64 || v < 0) throw new CelError(`uint(${formatDouble(v)}): out of the uint64 range`);
      return new CelUint(BigInt(Math.trunc(v)));
    case 'string': {
      if (!/^\+?\d+$/.test(v)) throw new CelError(`uint('${v}'): not an unsigned integer`);
      const r = BigInt(v);
      if (r > MAX_UINT) throw new CelError(`uint('${v}'): out of the uint64 range`);
      return new CelUint(r);
    }
    case 'object':
      if (v instanceof CelUint) return v;
      break;
  }
  throw noSuchOverload('uint', kindName(v));
}

const FLOAT_SYNTAX = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[Ii]nf(?:inity)?|NaN)$/;

export function toDouble(v: unknown): number {
  switch (typeof v) {
    case 'number':
      return v;
    case 'bigint':
      return Number(v);
    case 'string': {
      if (!FLOAT_SYNTAX.test(v)) throw new CelError(`double('${v}'): not a number`);
      const lower = v.toLowerCase();
      if (lower.endsWith('inf') || lower.endsWith('infinity')) return v.startsWith('-') ? -Infinity : Infinity;
      return Number(v);
    }
    case 'object':
      if (v instanceof CelUint) return Number(v.value);
      break;
  }
  throw noSuchOverload('double', kindName(v));
}

export function toStringValue(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'bigint':
      return v.toString();
    case 'number':
      return formatDouble(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object':
      if (v instanceof CelUint) return v.value.toString();
      if (v instanceof Uint8Array) {
        const s = utf8Decode(v);
        if (s === undefined) throw new CelError('string(bytes): invalid UTF-8');
        return s;
      }
      if (v instanceof CelTimestamp) return formatTimestamp(v);
      if (v instanceof CelDuration) return formatDuration(v);
      break;
  }
  throw noSuchOverload('string', kindName(v));
}

export function toBytes(v: unknown): Uint8Array {
  if (typeof v === 'string') return utf8Encode(v);
  if (v instanceof Uint8Array) return v;
  throw noSuchOverload('bytes', kindName(v));
}

const TRUE_STRINGS = new Set(['1', 't', 'true', 'TRUE', 'True']);
const FALSE_STRINGS = new Set(['0', 'f', 'false', 'FALSE', 'False']);

export function toBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    if (TRUE_STRINGS.has(v)) return true;
    if (FALSE_STRINGS.has(v)) return false;
    throw new CelError(`bool('${v}'): not a boolean; use true/false, t/f or 1/0`);
  }
  throw noSuchOverload('bool', kindName(v));
}

export function toTimestamp(v: unknown): CelTimestamp {
  if (typeof v === 'string') return parseTimestamp(v);
  if (v instanceof CelTimestamp) return v;
  if (typeof v === 'bigint') {
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new CelError('timestamp out of range');
    }
    return checkTimestamp(Number(v), 0);
  }
  throw noSuchOverload('timestamp', kindName(v));
}

export function toDuration(v: unknown): CelDuration {
  if (typeof v === 'string') return parseDuration(v);
  if (v instanceof CelDuration) return v;
  throw noSuchOverload('duration', kindName(v));
}

/**
 * Formats a double as the reference implementation's string(double) does
 * (Go's %g: strconv.FormatFloat(f, 'g', -1, 64)): the shortest digits that
 * round-trip, in exponent form when the decimal exponent is below -4 or at
 * least 6 — so 1e6 prints as "1e+06" and 123456.0 as "123456".
 */
export function formatDouble(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  // Shortest round-trip digits and decimal exponent, from JS.
  const [mant, expStr] = x.toExponential().split('e') as [string, string];
  const exp = Number(expStr);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  if (exp < -4 || exp >= 6) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp);
    return `${neg ? '-' : ''}${m}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' + e : e}`;
  }
  let out: string;
  if (exp >= 0) {
    out = digits.length > exp + 1 ? `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}` : digits.padEnd(exp + 1, '0');
  } else {
    out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  }
  return (neg ? '-' : '') + out;
}
