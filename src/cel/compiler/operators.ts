// Closures for CEL operators, with the error semantics of the spec and
// specialisations for the shapes policies are made of (comparison with a
// literal, membership in a literal list, equality with a string).

import { CelError, noSuchOverload } from '../errors.js';
import { inValue, indexValue } from '../library/core.js';
import { compare } from '../runtime/compare.js';
import { celEquals, mapGet } from '../runtime/equality.js';
import { CelMap, CelOptional, CelUint, isPlainObject, kindName } from '../values.js';
import type { Evaluator } from './dispatch.js';

/** Rethrows anything that is not a CEL error value (bugs, stack exhaustion) instead of absorbing it. */
function absorb(e: unknown): CelError {
  if (e instanceof CelError) return e;
  throw e;
}

/**
 * `l && r` (decisive = false) and `l || r` (decisive = true): the decisive
 * value on either side wins over an error on the other; otherwise the first
 * error propagates, and non-bool operands are errors.
 */
function logical(l: Evaluator, r: Evaluator, decisive: boolean, name: string): Evaluator {
  return (a) => {
    let lv: unknown;
    let le: CelError | undefined;
    try {
      lv = l(a);
    } catch (e) {
      le = absorb(e);
    }
    if (lv === decisive) return decisive;
    let rv: unknown;
    try {
      rv = r(a);
    } catch (e) {
      throw le ?? absorb(e);
    }
    if (rv === decisive) return decisive;
    if (le) throw le;
    if (lv !== !decisive || rv !== !decisive) throw noSuchOverload(name, kindName(lv), kindName(rv));
    return !decisive;
  };
}

export function and(l: Evaluator, r: Evaluator): Evaluator {
  return logical(l, r, false, '_&&_');
}

export function or(l: Evaluator, r: Evaluator): Evaluator {
  return logical(l, r, true, '_||_');
}

export function not(x: Evaluator): Evaluator {
  return (a) => {
    const v = x(a);
    if (v === true) return false;
    if (v === false) return true;
    throw noSuchOverload('!_', kindName(v));
  };
}

export function conditional(c: Evaluator, t: Evaluator, f: Evaluator): Evaluator {
  return (a) => {
    const v = c(a);
    if (v === true) return t(a);
    if (v === false) return f(a);
    throw noSuchOverload('_?_:_', kindName(v));
  };
}

/** `==` / `!=`, with `x == 'literal'` reduced to `===` (equal only to the same string). */
export function equals(l: Evaluator, r: Evaluator, negate: boolean, constant?: { value: unknown; side: 'l' | 'r' }): Evaluator {
  if (constant) {
    const c = constant.value;
    const x = constant.side === 'l' ? r : l;
    if (typeof c === 'string' || typeof c === 'boolean' || c === null) {
      return negate ? (a) => x(a) !== c : (a) => x(a) === c;
    }
    return negate ? (a) => !celEquals(x(a), c) : (a) => celEquals(x(a), c);
  }
  return negate ? (a) => !celEquals(l(a), r(a)) : (a) => celEquals(l(a), r(a));
}

type Relop = '_<_' | '_<=_' | '_>_' | '_>=_';

/**
 * Ordering. When the right side is a numeric literal, numbers and ints compare
 * with JS relational operators directly (exact across number/bigint, false for NaN).
 */
export function relation(op: Relop, l: Evaluator, r: Evaluator, rightConst?: unknown): Evaluator {
  if (typeof rightConst === 'bigint' && rightConst <= 2n ** 53n && rightConst >= -(2n ** 53n)) {
    // Within ±2^53 an int is exactly a double, so JS's exact number/bigint
    // comparison agrees with CEL's convert-to-double rule for either operand kind.
    const c = rightConst;
    switch (op) {
      case '_<_':
        return (a) => {
          const v = l(a);
          return typeof v === 'number' || typeof v === 'bigint' ? v < c : compare(v, c, op) < 0;
        };
      case '_<=_':
        return (a) => {
          const v = l(a);
          return typeof v === 'number' || typeof v === 'bigint' ? v <= c : compare(v, c, op) <= 0;
        };
      case '_>_':
        return (a) => {
          const v = l(a);
          return typeof v === 'number' || typeof v === 'bigint' ? v > c : compare(v, c, op) > 0;
        };
      case '_>=_':
        return (a) => {
          const v = l(a);
          return typeof v === 'number' || typeof v === 'bigint' ? v >= c : compare(v, c, op) >= 0;
        };
    }
  }
  if (typeof rightConst === 'number') {
    const c = rightConst;
    switch (op) {
      case '_<_':
        return (a) => {
          const v = l(a);
          return typeof v === 'number' ? v < c : compare(v, c, op) < 0;
        };
      case '_<=_':
        return (a) => {
          const v = l(a);
          return typeof v === 'number' ? v <= c : compare(v, c, op) <= 0;
        };
      case '_>_':
        return (a) => {
          const v = l(a);
          return typeof v === 'number' ? v > c : compare(v, c, op) > 0;
        };
      case '_>=_':
        return (a) => {
          const v = l(a);
          return typeof v === 'number' ? v >= c : compare(v, c, op) >= 0;
        };
    }
  }
  switch (op) {
    case '_<_':
      return (a) => {
        const v = l(a);
        const w = r(a);
        if (typeof v === 'number' && typeof w === 'number') return v < w;
        return compare(v, w, op) < 0;
      };
    case '_<=_':
      return (a) => {
        const v = l(a);
        const w = r(a);
        if (typeof v === 'number' && typeof w === 'number') return v <= w;
        return compare(v, w, op) <= 0;
      };
    case '_>_':
      return (a) => {
        const v = l(a);
        const w = r(a);
        if (typeof v === 'number' && typeof w === 'number') return v > w;
        return compare(v, w, op) > 0;
      };
    case '_>=_':
      return (a) => {
        const v = l(a);
        const w = r(a);
        if (typeof v === 'number' && typeof w === 'number') return v >= w;
        return compare(v, w, op) >= 0;
      };
  }
}

/** `x in list`: a Set lookup when the list is a literal of strings. */
export function membership(x: Evaluator, c: Evaluator, constList?: readonly unknown[]): Evaluator {
  if (constList && constList.length > 0 && constList.every((v) => typeof v === 'string')) {
    const set = new Set(constList as string[]);
    return (a) => {
      const v = x(a);
      return typeof v === 'string' ? set.has(v) : inValue(v, constList);
    };
  }
  return (a) => inValue(x(a), c(a));
}

/** `c[i]`; through an optional container it yields an optional. */
export function index(c: Evaluator, i: Evaluator): Evaluator {
  return (a) => {
    const cv = c(a);
    if (cv instanceof CelOptional) return optionalIndex(cv, i(a));
    return indexValue(cv, i(a));
  };
}

/** `c[?i]`: optional.of(c[i]) when present, optional.none() otherwise. */
export function optionalIndex(cv: unknown, iv: unknown): CelOptional {
  if (cv instanceof CelOptional) {
    if (cv.value === undefined) return CelOptional.NONE;
    cv = cv.value;
  }
  if (Array.isArray(cv)) {
    let idx: number;
    if (typeof iv === 'bigint') idx = Number(iv);
    else if (iv instanceof CelUint) idx = Number(iv.value);
    else if (typeof iv === 'number' && Number.isInteger(iv)) idx = iv;
    else throw noSuchOverload('_[?_]', 'list', kindName(iv));
    return idx >= 0 && idx < cv.length ? new CelOptional(cv[idx]) : CelOptional.NONE;
  }
  if (cv instanceof CelMap || isPlainObject(cv)) {
    const v = mapGet(cv, iv);
    return v === undefined ? CelOptional.NONE : new CelOptional(v);
  }
  throw noSuchOverload('_[?_]', kindName(cv), kindName(iv));
}
