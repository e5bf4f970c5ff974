// The CEL standard library: operators, size, conversions, string functions,
// timestamp/duration accessors. Overload ids follow cel-go where it has them.

import { CelError, noSuchOverload } from '../errors.js';
import { cachedRegex } from '../regex.js';
import { add, divide, modulo, multiply, negate, subtract } from '../runtime/arithmetic.js';
import { greater, greaterEq, less, lessEq } from '../runtime/compare.js';
import {
  toBool,
  toBytes,
  toDouble,
  toDuration,
  toInt,
  toStringValue,
  toTimestamp,
  toUint,
} from '../runtime/convert.js';
import { celEquals, mapGet, mapSize } from '../runtime/equality.js';
import { codePointLength } from '../runtime/strings.js';
import { civilTime, durationNanos } from '../runtime/time.js';
import { A, K, T, V, type Type } from '../types.js';
import { CelDuration, CelMap, CelTimestamp, CelUint, intOf, isPlainObject, kindName, typeOfValue } from '../values.js';
import { type FunctionDecl, type Overload, globalOverload as g, memberOverload as m } from './overload.js';

export interface CoreOptions {
  /** int/uint mixed with double computes in double instead of failing. */
  readonly numericPromotion: boolean;
}

const NUM_TYPES: [string, Type][] = [
  ['int64', T.int],
  ['uint64', T.uint],
  ['double', T.double],
];

function comparison(fn: string, prefix: string, impl: (a: unknown, b: unknown) => boolean): FunctionDecl {
  const overloads: Overload[] = [];
  const same: [string, Type][] = [
    ['bool', T.bool],
    ['string', T.string],
    ['bytes', T.bytes],
    ['timestamp', T.timestamp],
    ['duration', T.duration],
  ];
  for (const [n, t] of same) overloads.push(g(`${prefix}_${n}`, [t, t], T.bool, impl));
  for (const [an, at] of NUM_TYPES) {
    for (const [bn, bt] of NUM_TYPES) {
      overloads.push(g(an === bn ? `${prefix}_${an}` : `${prefix}_${an}_${bn}`, [at, bt], T.bool, impl));
    }
  }
  return { name: fn, overloads };
}

export function indexValue(c: unknown, i: unknown): unknown {
  if (Array.isArray(c)) {
    const idx = listIndex(i);
    if (idx < 0 || idx >= c.length) {
      throw new CelError(`index out of range: ${String(i)} (the list has ${c.length} element${c.length === 1 ? '' : 's'})`);
    }
    const v = c[idx];
    if (v === undefined) throw new CelError(`index out of range: ${String(i)}`);
    return v;
  }
  if (c instanceof CelMap || isPlainObject(c)) {
    const v = mapGet(c, i);
    if (v === undefined) {
      if (!isKeyKind(i)) throw noSuchOverload('_[_]', 'map', kindName(i));
      throw new CelError(`no such key: ${typeof i === 'string' ? i : String(i)}`);
    }
    return v;
  }
  throw noSuchOverload('_[_]', kindName(c), kindName(i));
}

function isKeyKind(k: unknown): boolean {
  return typeof k === 'string' || typeof k === 'bigint' || typeof k === 'boolean' || typeof k === 'number' || k instanceof CelUint;
}

/** A list index: int, uint, or a double with an integral value. */
export function listIndex(i: unknown): number {
  if (typeof i === 'bigint') return i > 2n ** 53n || i < -(2n ** 53n) ? -1 : Number(i);
  if (i instanceof CelUint) return i.value > 2n ** 53n ? -1 : Number(i.value);
  if (typeof i === 'number') {
    if (!Number.isInteger(i)) throw new CelError(`list index ${i} is not an integer`);
    return i;
  }
  throw noSuchOverload('_[_]', 'list', kindName(i));
}

export function inValue(x: unknown, c: unknown): boolean {
  if (Array.isArray(c)) {
    for (const e of c) if (celEquals(x, e)) return true;
    return false;
  }
  if (c instanceof CelMap) return c.has(x);
  if (isPlainObject(c)) return typeof x === 'string' && mapGet(c, x) !== undefined;
  throw noSuchOverload('@in', kindName(x), kindName(c));
}

export function sizeOf(v: unknown): bigint {
  if (typeof v === 'string') return intOf(codePointLength(v));
  if (Array.isArray(v)) return intOf(v.length);
  if (v instanceof Uint8Array) return intOf(v.length);
  if (v instanceof CelMap || isPlainObject(v)) return intOf(mapSize(v));
  throw noSuchOverload('size', kindName(v));
}

function str(v: unknown, fn: string): string {
  if (typeof v !== 'string') throw noSuchOverload(fn, kindName(v));
  return v;
}

function timestampGetter(
  name: string,
  idBase: string,
  field: (c: ReturnType<typeof civilTime>, t: CelTimestamp) => number,
  durationField?: (d: CelDuration) => bigint,
): FunctionDecl {
  const overloads: Overload[] = [
    m(`timestamp_to_${idBase}`, [T.timestamp], T.int, (t: CelTimestamp) => intOf(field(civilTime(t), t))),
    m(`timestamp_to_${idBase}_with_tz`, [T.timestamp, T.string], T.int, (t: CelTimestamp, tz: string) =>
      intOf(field(civilTime(t, tz), t)),
    ),
  ];
  if (durationField) overloads.push(m(`duration_to_${idBase}`, [T.duration], T.int, durationField));
  return { name, overloads };
}

export function coreLibrary(opts: CoreOptions): FunctionDecl[] {
  const p = opts.numericPromotion;
  const arith = (
    fn: string,
    prefix: string,
    impl: (a: unknown, b: unknown, promote: boolean) => unknown,
    extra: Overload[] = [],
    kinds: [string, Type][] = NUM_TYPES,
  ): FunctionDecl => {
    const f = (a: unknown, b: unknown): unknown => impl(a, b, p);
    const overloads = kinds.map(([n, t]) => g(`${prefix}_${n}`, [t, t], t, f));
    if (p && kinds.length === 3) {
      overloads.push(
        g(`${prefix}_int64_double`, [T.int, T.double], T.double, f),
        g(`${prefix}_double_int64`, [T.double, T.int], T.double, f),
        g(`${prefix}_uint64_double`, [T.uint, T.double], T.double, f),
        g(`${prefix}_double_uint64`, [T.double, T.uint], T.double, f),
      );
    }
    return { name: fn, overloads: [...overloads, ...extra.map((o) => ({ ...o, impl: f }))] };
  };
  return [
    // Logic. && || ?: are compiled specially (short-circuit, error absorption);
    // the declarations give the checker their types.
    { name: '_&&_', overloads: [g('logical_and', [T.bool, T.bool], T.bool, (a: boolean, b: boolean) => a && b)] },
    { name: '_||_', overloads: [g('logical_or', [T.bool, T.bool], T.bool, (a: boolean, b: boolean) => a || b)] },
    { name: '_?_:_', overloads: [g('conditional', [T.bool, A, A], A, (c: boolean, a: unknown, b: unknown) => (c ? a : b))] },
    {
      name: '!_',
      overloads: [
        g('logical_not', [T.bool], T.bool, (a: unknown) => {
          if (typeof a !== 'boolean') throw noSuchOverload('!_', kindName(a));
          return !a;
        }),
      ],
    },
    { name: '-_', overloads: [g('negate_int64', [T.int], T.int, negate), g('negate_double', [T.double], T.double, negate)] },

    // Equality and ordering.
    { name: '_==_', overloads: [g('equals', [A, A], T.bool, celEquals)] },
    { name: '_!=_', overloads: [g('not_equals', [A, A], T.bool, (a: unknown, b: unknown) => !celEquals(a, b))] },
    comparison('_<_', 'less', less),
    comparison('_<=_', 'less_equals', lessEq),
    comparison('_>_', 'greater', greater),
    comparison('_>=_', 'greater_equals', greaterEq),

    // Arithmetic.
    arith('_+_', 'add', add, [
      g('add_string', [T.string, T.string], T.string, add),
      g('add_bytes', [T.bytes, T.bytes], T.bytes, add),
      g('add_list', [T.list(A), T.list(A)], T.list(A), add),
      g('add_timestamp_duration', [T.timestamp, T.duration], T.timestamp, add),
      g('add_duration_timestamp', [T.duration, T.timestamp], T.timestamp, add),
      g('add_duration_duration', [T.duration, T.duration], T.duration, add),
    ]),
    arith('_-_', 'subtract', subtract, [
      g('subtract_timestamp_timestamp', [T.timestamp, T.timestamp], T.duration, subtract),
      g('subtract_timestamp_duration', [T.timestamp, T.duration], T.timestamp, subtract),
      g('subtract_duration_duration', [T.duration, T.duration], T.duration, subtract),
    ]),
    arith('_*_', 'multiply', multiply),
    arith('_/_', 'divide', divide),
    {
      name: '_%_',
      overloads: [g('modulo_int64', [T.int, T.int], T.int, modulo), g('modulo_uint64', [T.uint, T.uint], T.uint, modulo)],
    },

    // Containers.
    {
      name: '_[_]',
      overloads: [g('index_list', [T.list(A), T.int], A, indexValue), g('index_map', [T.map(K, V), K], V, indexValue)],
    },
    {
      name: '@in',
      overloads: [g('in_list', [A, T.list(A)], T.bool, inValue), g('in_map', [K, T.map(K, V)], T.bool, inValue)],
    },
    {
      name: 'size',
      overloads: [
        g('size_string', [T.string], T.int, sizeOf),
        g('size_bytes', [T.bytes], T.int, sizeOf),
        g('size_list', [T.list(A)], T.int, sizeOf),
        g('size_map', [T.map(K, V)], T.int, sizeOf),
        m('string_size', [T.string], T.int, sizeOf),
        m('bytes_size', [T.bytes], T.int, sizeOf),
        m('list_size', [T.list(A)], T.int, sizeOf),
        m('map_size', [T.map(K, V)], T.int, sizeOf),
      ],
    },

    // Types and conversions.
    {
      name: 'type',
      overloads: [
        g('type', [A], T.type(A), (v: unknown) => {
          const t = typeOfValue(v);
          if (!t) throw new CelError(`type(): ${kindName(v)} is not a CEL value`);
          return t;
        }),
      ],
    },
    { name: 'dyn', overloads: [g('to_dyn', [A], T.dyn, (v: unknown) => v)] },
    {
      name: 'int',
      overloads: [
        g('int64_to_int64', [T.int], T.int, toInt),
        g('uint64_to_int64', [T.uint], T.int, toInt),
        g('double_to_int64', [T.double], T.int, toInt),
        g('string_to_int64', [T.string], T.int, toInt),
        g('timestamp_to_int64', [T.timestamp], T.int, toInt),
      ],
    },
    {
      name: 'uint',
      overloads: [
        g('uint64_to_uint64', [T.uint], T.uint, toUint),
        g('int64_to_uint64', [T.int], T.uint, toUint),
        g('double_to_uint64', [T.double], T.uint, toUint),
        g('string_to_uint64', [T.string], T.uint, toUint),
      ],
    },
    {
      name: 'double',
      overloads: [
        g('double_to_double', [T.double], T.double, toDouble),
        g('int64_to_double', [T.int], T.double, toDouble),
        g('uint64_to_double', [T.uint], T.double, toDouble),
        g('string_to_double', [T.string], T.double, toDouble),
      ],
    },
    {
      name: 'string',
      overloads: [
        g('string_to_string', [T.string], T.string, toStringValue),
        g('int64_to_string', [T.int], T.string, toStringValue),
        g('uint64_to_string', [T.uint], T.string, toStringValue),
        g('double_to_string', [T.double], T.string, toStringValue),
        g('bool_to_string', [T.bool], T.string, toStringValue),
        g('bytes_to_string', [T.bytes], T.string, toStringValue),
        g('timestamp_to_string', [T.timestamp], T.string, toStringValue),
        g('duration_to_string', [T.duration], T.string, toStringValue),
      ],
    },
    {
      name: 'bytes',
      overloads: [g('bytes_to_bytes', [T.bytes], T.bytes, toBytes), g('string_to_bytes', [T.string], T.bytes, toBytes)],
    },
    {
      name: 'bool',
      overloads: [g('bool_to_bool', [T.bool], T.bool, toBool), g('string_to_bool', [T.string], T.bool, toBool)],
    },
    {
      name: 'timestamp',
      overloads: [
        g('string_to_timestamp', [T.string], T.timestamp, toTimestamp),
        g('timestamp_to_timestamp', [T.timestamp], T.timestamp, toTimestamp),
        g('int64_to_timestamp', [T.int], T.timestamp, toTimestamp),
      ],
    },
    {
      name: 'duration',
      overloads: [
        g('string_to_duration', [T.string], T.duration, toDuration),
        g('duration_to_duration', [T.duration], T.duration, toDuration),
      ],
    },

    // Strings.
    {
      name: 'contains',
      overloads: [m('contains_string', [T.string, T.string], T.bool, (s: unknown, x: unknown) => str(s, 'contains').includes(str(x, 'contains')))],
    },
    {
      name: 'startsWith',
      overloads: [
        m('starts_with_string', [T.string, T.string], T.bool, (s: unknown, x: unknown) => str(s, 'startsWith').startsWith(str(x, 'startsWith'))),
      ],
    },
    {
      name: 'endsWith',
      overloads: [
        m('ends_with_string', [T.string, T.string], T.bool, (s: unknown, x: unknown) => str(s, 'endsWith').endsWith(str(x, 'endsWith'))),
      ],
    },
    {
      name: 'matches',
      overloads: [
        m('matches_string', [T.string, T.string], T.bool, (s: unknown, re: unknown) => cachedRegex(str(re, 'matches')).test(str(s, 'matches'))),
        g('matches', [T.string, T.string], T.bool, (s: unknown, re: unknown) => cachedRegex(str(re, 'matches')).test(str(s, 'matches'))),
      ],
    },

    // Timestamps and durations. Months and days-of-month/year are 0-based, getDate is 1-based (CEL spec).
    timestampGetter('getFullYear', 'year', (c) => c.year),
    timestampGetter('getMonth', 'month', (c) => c.month - 1),
    timestampGetter('getDayOfYear', 'day_of_year', (c) => c.dayOfYear),
    timestampGetter('getDayOfMonth', 'day_of_month', (c) => c.day - 1),
    timestampGetter('getDate', 'day_of_month_1_based', (c) => c.day),
    timestampGetter('getDayOfWeek', 'day_of_week', (c) => c.dayOfWeek),
    timestampGetter('getHours', 'hours', (c) => c.hour, (d) => durationNanos(d) / 3_600_000_000_000n),
    timestampGetter('getMinutes', 'minutes', (c) => c.minute, (d) => durationNanos(d) / 60_000_000_000n),
    timestampGetter('getSeconds', 'seconds', (c) => c.second, (d) => BigInt(d.seconds)),
    timestampGetter(
      'getMilliseconds',
      'milliseconds',
      (_c, t) => Math.floor(t.nanos / 1_000_000),
      (d) => BigInt(Math.trunc(d.nanos / 1_000_000)),
    ),
  ];
}

