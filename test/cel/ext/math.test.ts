import { describe, expect, it } from 'vitest';
import { CelCompileError } from '../../../src/cel/errors.js';
import { T } from '../../../src/cel/types.js';
import { CelUint } from '../../../src/cel/values.js';
import { env, run, runError, typeOf } from './helpers.js';

describe('math.greatest / math.least', () => {
  it('compares int, uint and double by value and returns the original value', () => {
    expect(run('math.greatest(1, 2.5)')).toBe(2.5);
    expect(run('math.greatest(-3, 3u)')).toEqual(new CelUint(3n));
    expect(run('math.least(5.4, 10, 3u, -5.0, 9223372036854775807)')).toBe(-5);
    expect(run('math.greatest([5.4, 10, 3u, -5.0, 3.5])')).toBe(10n);
    expect(run('math.least([dyn(5.4), dyn(10u), dyn(1u)])')).toEqual(new CelUint(1n));
  });

  it('keeps the first of equal arguments', () => {
    expect(run('math.greatest(1, 1.0)')).toBe(1n);
    expect(run('math.least(1.0, 1)')).toBe(1);
  });

  it('types single-kind calls precisely and mixed ones as dyn', () => {
    expect(typeOf('math.greatest(1, 2)')).toEqual(T.int);
    expect(typeOf('math.greatest([1u, 2u])')).toEqual(T.uint);
    expect(typeOf('math.greatest(1, 2.0)')).toEqual(T.dyn);
  });

  it('accepts up to 12 separate arguments', () => {
    expect(run('math.least(12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1)')).toBe(1n);
    expect(() => env.program('math.least(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13)')).toThrow(CelCompileError);
  });

  it('rejects non-numbers and empty lists', () => {
    expect(() => env.program("math.greatest('a')")).toThrow(CelCompileError);
    expect(runError("math.greatest(1, dyn('a'), 2)")).toMatch(/no such overload/);
    expect(runError('math.greatest([])')).toMatch(/must not be empty/);
  });

  it('propagates NaN', () => {
    expect(run('math.greatest([1.0, 0.0/0.0, 2.0])')).toBeNaN();
  });
});

describe('rounding', () => {
  it('ceil, floor, trunc', () => {
    expect(run('math.ceil(-1.2)')).toBe(-1);
    expect(run('math.floor(-1.2)')).toBe(-2);
    expect(run('math.trunc(-1.7)')).toBe(-1);
  });

  it('round goes half away from zero without double rounding', () => {
    expect(run('math.round(2.5)')).toBe(3);
    expect(run('math.round(-2.5)')).toBe(-3);
    expect(run('math.round(-1.4)')).toBe(-1);
    expect(run('math.round(0.49999999999999994)')).toBe(0);
    expect(run('math.isNaN(math.round(0.0/0.0))')).toBe(true);
  });

  it('takes doubles only', () => {
    expect(runError('math.floor(dyn(1))')).toMatch(/no such overload/);
  });
});

describe('abs, sign, sqrt and floating-point predicates', () => {
  it('abs', () => {
    expect(run('math.abs(-11)')).toBe(11n);
    expect(run('math.abs(-1.5)')).toBe(1.5);
    expect(run('math.abs(3u)')).toEqual(new CelUint(3n));
    expect(runError('math.abs(-9223372036854775808)')).toMatch(/overflow/);
  });

  it('sign', () => {
    expect(run('math.sign(-11)')).toBe(-1n);
    expect(run('math.sign(0u)')).toEqual(new CelUint(0n));
    expect(run('math.sign(100u)')).toEqual(new CelUint(1n));
    expect(run('math.sign(-32.0)')).toBe(-1);
    expect(run('math.sign(0.0/0.0)')).toBeNaN();
  });

  it('sqrt of any number is a double', () => {
    expect(run('math.sqrt(16)')).toBe(4);
    expect(run('math.sqrt(2u)')).toBe(Math.SQRT2);
    expect(run('math.sqrt(-1.0)')).toBeNaN();
  });

  it('isInf, isNaN, isFinite', () => {
    expect(run('math.isInf(-1.0/0.0)')).toBe(true);
    expect(run('math.isNaN(0.0/0.0)')).toBe(true);
    expect(run('math.isFinite(1.5)')).toBe(true);
    expect(run('math.isFinite(1.0/0.0)')).toBe(false);
  });
});

describe('bitwise', () => {
  it('and, or, xor, not on int and uint', () => {
    expect(run('math.bitAnd(-3, -5)')).toBe(-7n);
    expect(run('math.bitOr(4, -2)')).toBe(-2n);
    expect(run('math.bitXor(3u, 5u)')).toEqual(new CelUint(6n));
    expect(run('math.bitNot(1)')).toBe(-2n);
    expect(run('math.bitNot(0u)')).toEqual(new CelUint(18446744073709551615n));
    expect(runError('math.bitAnd(2u, dyn(1))')).toMatch(/no such overload/);
  });

  it('shifts wrap to 64 bits and give 0 from 64 on', () => {
    expect(run('math.bitShiftLeft(-1, 63)')).toBe(-9223372036854775808n);
    expect(run('math.bitShiftLeft(3u, 63)')).toEqual(new CelUint(1n << 63n));
    expect(run('math.bitShiftLeft(1, 64)')).toBe(0n);
    expect(run('math.bitShiftRight(1024u, 200)')).toEqual(new CelUint(0n));
  });

  it('right shift of a negative int is logical', () => {
    expect(run('math.bitShiftRight(-1024, 3)')).toBe(2305843009213693824n);
    expect(run('math.bitShiftRight(-1, 0)')).toBe(-1n);
    expect(run('math.bitShiftRight(-1024, 64)')).toBe(0n);
  });

  it('rejects negative shift amounts', () => {
    expect(runError('math.bitShiftLeft(1u, -1)')).toMatch(/negative offset/);
    expect(runError('math.bitShiftRight(1, -1)')).toMatch(/negative offset/);
  });
});
