// The cel-go "math" extension: math.greatest/least, rounding, abs/sign,
// floating-point predicates, bitwise operations and sqrt. Overload ids follow
// cel-go's ext/math.go.

import { CelError, noSuchOverload, overflow } from '../errors.js';
import { compare } from '../runtime/compare.js';
import { T, type Type } from '../types.js';
import { CelUint, MAX_UINT, MIN_INT, intOf, kindName } from '../values.js';
import { type FunctionDecl, type Overload, globalOverload as g } from './overload.js';

const NUMERIC: [string, Type][] = [
  ['int', T.int],
  ['uint', T.uint],
  ['double', T.double],
];

/**
 * The largest argument count declared for math.greatest/least. cel-go expands
 * them with a variadic macro; our declarations have fixed arities, so each
 * count from 3 up to this one gets a (dyn, ..., dyn) -> dyn overload (typing
 * every mix of int/uint/double would need 3^n overloads). Longer argument
 * lists can be passed as a single list.
 */
const MAX_VARIADIC_ARITY = 12;

function isNumber(v: unknown): boolean {
  return typeof v === 'bigint' || typeof v === 'number' || v instanceof CelUint;
}

/**
 * The extreme of numbers compared by mathematical value across int, uint and
 * double, returning the original value (1 stays an int even next to 1.0). On
 * ties the earlier argument wins, as in cel-go. A NaN argument makes the result
 * NaN: it is unordered, and letting it win keeps the result independent of
 * argument order.
 */
function extreme(fn: string, values: readonly unknown[], sign: 1 | -1): unknown {
  if (values.length === 0) throw new CelError(`${fn}(list) argument must not be empty`);
  let best: unknown;
  for (const v of values) {
    if (!isNumber(v)) throw noSuchOverload(fn, kindName(v));
    if (typeof v === 'number' && Number.isNaN(v)) return v;
    if (best === undefined || sign * compare(v, best, fn) > 0) best = v;
  }
  return best;
}

/** `idBase` is cel-go's internal name (math.@max / math.@min), used for overload ids. */
function minMax(fn: string, idBase: string, sign: 1 | -1): FunctionDecl {
  const pick = (...args: unknown[]): unknown => extreme(fn, args, sign);
  const fromList = (list: unknown[]): unknown => extreme(fn, list, sign);
  const overloads: Overload[] = [];
  for (const [n, t] of NUMERIC) overloads.push(g(`${idBase}_${n}`, [t], t, pick));
  for (const [n, t] of NUMERIC) overloads.push(g(`${idBase}_list_${n}`, [T.list(t)], t, fromList));
  for (const [an, at] of NUMERIC) {
    for (const [bn, bt] of NUMERIC) {
      overloads.push(g(`${idBase}_${an}_${bn}`, [at, bt], an === bn ? at : T.dyn, pick));
    }
  }
  for (let n = 3; n <= MAX_VARIADIC_ARITY; n++) {
    overloads.push(g(`${idBase}_dyn${n}`, Array.from({ length: n }, () => T.dyn), T.dyn, pick));
  }
  return { name: fn, overloads, doc: `${fn}(a, b, ...) or ${fn}(list): the ${sign > 0 ? 'greatest' : 'least'} number` };
}

/** Rounds half away from zero (Go's math.Round). x - trunc(x) is exact, so there is no double rounding. */
function roundHalfAway(x: number): number {
  const t = Math.trunc(x);
  return Math.abs(x - t) >= 0.5 ? t + Math.sign(x) : t;
}

function doubleFn(name: string, id: string, f: (x: number) => unknown, result: Type = T.double): FunctionDecl {
  return { name, overloads: [g(id, [T.double], result, f)] };
}

function shiftAmount(fn: string, n: bigint): number {
  if (n < 0n) throw new CelError(`${fn}() negative offset: ${n}`);
  // Shifting a 64-bit value by 64 or more leaves no bits.
  return n >= 64n ? 64 : Number(n);
}

function bitwise(name: string, op: string, f: (a: bigint, b: bigint) => bigint): FunctionDecl {
  return {
    name,
    overloads: [
      // On int64 values, JS's infinite two's-complement bitwise ops stay in range.
      g(`math_${op}_int_int`, [T.int, T.int], T.int, (a: bigint, b: bigint) => f(a, b)),
      g(`math_${op}_uint_uint`, [T.uint, T.uint], T.uint, (a: CelUint, b: CelUint) => new CelUint(f(a.value, b.value))),
    ],
  };
}

export function mathLibrary(): FunctionDecl[] {
  return [
    minMax('math.greatest', 'math_@max', 1),
    minMax('math.least', 'math_@min', -1),

    doubleFn('math.ceil', 'math_ceil_double', Math.ceil),
    doubleFn('math.floor', 'math_floor_double', Math.floor),
    doubleFn('math.round', 'math_round_double', roundHalfAway),
    doubleFn('math.trunc', 'math_trunc_double', Math.trunc),
    doubleFn('math.isInf', 'math_isInf_double', (x) => x === Infinity || x === -Infinity, T.bool),
    doubleFn('math.isNaN', 'math_isNaN_double', Number.isNaN, T.bool),
    doubleFn('math.isFinite', 'math_isFinite_double', Number.isFinite, T.bool),
    {
      name: 'math.sqrt',
      overloads: [
        g('math_sqrt_double', [T.double], T.double, Math.sqrt),
        g('math_sqrt_int', [T.int], T.double, (x: bigint) => Math.sqrt(Number(x))),
        g('math_sqrt_uint', [T.uint], T.double, (x: CelUint) => Math.sqrt(Number(x.value))),
      ],
    },
    {
      name: 'math.abs',
      overloads: [
        g('math_abs_double', [T.double], T.double, Math.abs),
        g('math_abs_int', [T.int], T.int, (x: bigint) => {
          if (x === MIN_INT) throw overflow('math.abs');
          return x < 0n ? -x : x;
        }),
        g('math_abs_uint', [T.uint], T.uint, (x: CelUint) => x),
      ],
    },
    {
      name: 'math.sign',
      overloads: [
        // NaN stays NaN; -0.0 has sign 0.
        g('math_sign_double', [T.double], T.double, (x: number) => (Number.isNaN(x) ? x : x > 0 ? 1 : x < 0 ? -1 : 0)),
        g('math_sign_int', [T.int], T.int, (x: bigint) => (x > 0n ? 1n : x < 0n ? -1n : intOf(0))),
        g('math_sign_uint', [T.uint], T.uint, (x: CelUint) => new CelUint(x.value > 0n ? 1n : 0n)),
      ],
    },

    bitwise('math.bitAnd', 'bitAnd', (a, b) => a & b),
    bitwise('math.bitOr', 'bitOr', (a, b) => a | b),
    bitwise('math.bitXor', 'bitXor', (a, b) => a ^ b),
    {
      name: 'math.bitNot',
      overloads: [
        g('math_bitNot_int_int', [T.int], T.int, (x: bigint) => ~x),
        g('math_bitNot_uint_uint', [T.uint], T.uint, (x: CelUint) => new CelUint(MAX_UINT ^ x.value)),
      ],
    },
    {
      name: 'math.bitShiftLeft',
      overloads: [
        g('math_bitShiftLeft_int_int', [T.int, T.int], T.int, (x: bigint, n: bigint) =>
          BigInt.asIntN(64, x << BigInt(shiftAmount('math.bitShiftLeft', n))),
        ),
        g('math_bitShiftLeft_uint_int', [T.uint, T.int], T.uint, (x: CelUint, n: bigint) =>
          new CelUint(BigInt.asUintN(64, x.value << BigInt(shiftAmount('math.bitShiftLeft', n)))),
        ),
      ],
    },
    {
      name: 'math.bitShiftRight',
      overloads: [
        // Logical shift: vacated high bits are zero, also for negative ints
        // (cel-go shifts the value as a uint64).
        g('math_bitShiftRight_int_int', [T.int, T.int], T.int, (x: bigint, n: bigint) =>
          BigInt.asIntN(64, BigInt.asUintN(64, x) >> BigInt(shiftAmount('math.bitShiftRight', n))),
        ),
        g('math_bitShiftRight_uint_int', [T.uint, T.int], T.uint, (x: CelUint, n: bigint) =>
          new CelUint(x.value >> BigInt(shiftAmount('math.bitShiftRight', n))),
        ),
      ],
    },
  ];
}
