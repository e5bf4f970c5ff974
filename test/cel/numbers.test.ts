// Numbers: how int, uint and double are represented, where int64/uint64
// arithmetic fails, and how the three compare with each other.

import { describe, expect, it } from 'vitest';
import { CelEnv } from '../../src/cel/env.js';
import { CelUint } from '../../src/cel/values.js';
import { compileError, expectAllTrue, run, runError } from './helpers.js';

const MAX = 9223372036854775807n;
const MIN = -9223372036854775808n;

describe('representation', () => {
  it('ints are bigints, uints are CelUint, doubles are numbers', () => {
    expect(run('40 + 2')).toBe(42n);
    expect(run('0x2A')).toBe(42n);
    const u = run('40u + 2u');
    expect(u).toBeInstanceOf(CelUint);
    expect((u as CelUint).value).toBe(42n);
    expect(run('1.5 + 1.0')).toBe(2.5);
    expect(run('9223372036854775807')).toBe(MAX);
    expect(run('-9223372036854775808')).toBe(MIN);
  });

  it('JSON numbers in variables are doubles, even when integral', () => {
    expect(run('type(x) == double', { x: 3 })).toBe(true);
    expect(run('x + 1', { x: 3 })).toBe(4); // double + int promotes to double
    expect(run('type(x + 1)', { x: 3 })?.toString()).toBe('double');
    expect(run('x == 3', { x: 3 })).toBe(true);
    expect(run('int(x) + 1', { x: 3 })).toBe(4n);
    // % is not promoted: a JSON number must be converted first.
    expect(runError('x % 2', { x: 3 })).toBe('no such overload: %(double, int)');
    expect(run('int(x) % 2', { x: 3 })).toBe(1n);
  });

  it('bigint variables are ints, CelUint variables are uints', () => {
    expect(run('type(x) == int && x + 1 == 4', { x: 3n })).toBe(true);
    expect(run('type(x) == uint && x + 1u == 4u', { x: new CelUint(3n) })).toBe(true);
  });
});

describe('int64 and uint64 overflow', () => {
  it.each([
    ['9223372036854775807 + 1', 'integer overflow in +'],
    ['-9223372036854775808 - 1', 'integer overflow in -'],
    ['9223372036854775807 * 2', 'integer overflow in *'],
    ['-9223372036854775808 / -1', 'integer overflow in /'],
    ['-9223372036854775808 % -1', 'integer overflow in %'],
    ['-(-9223372036854775807 - 1)', 'integer overflow in unary -'],
    ['18446744073709551615u + 1u', 'integer overflow in +'],
    ['0u - 1u', 'integer overflow in -'],
    ['9223372036854775808u * 2u', 'integer overflow in *'],
  ])('%s', (src, message) => {
    expect(runError(src)).toBe(message);
  });

  it('checks values from the context too, and unary minus of the smallest int', () => {
    expect(runError('-x', { x: MIN })).toBe('integer overflow in unary -');
    expect(runError('x + 1', { x: MAX })).toBe('integer overflow in +');
    expect(run('x - 1', { x: MAX })).toBe(MAX - 1n);
  });

  it('reaches the edges exactly', () => {
    expect(run('9223372036854775806 + 1')).toBe(MAX);
    expect(run('-9223372036854775807 - 1')).toBe(MIN);
    expect((run('18446744073709551614u + 1u') as CelUint).value).toBe(2n ** 64n - 1n);
  });

  it('doubles do not overflow: they become infinite', () => {
    expect(run('1e308 * 10.0')).toBe(Infinity);
    expect(run('-1e308 * 10.0')).toBe(-Infinity);
  });
});

describe('division and modulus', () => {
  it('by zero is an error for ints and uints', () => {
    expect(runError('1 / 0')).toBe('division by zero');
    expect(runError('1 % 0')).toBe('modulus by zero');
    expect(runError('1u / 0u')).toBe('division by zero');
    expect(runError('1u % 0u')).toBe('modulus by zero');
    expect(runError('x / 0', { x: 5n })).toBe('division by zero');
  });

  it('by zero follows IEEE 754 for doubles', () => {
    expect(run('1.0 / 0.0')).toBe(Infinity);
    expect(run('-1.0 / 0.0')).toBe(-Infinity);
    expect(Number.isNaN(run('0.0 / 0.0'))).toBe(true);
  });

  it('truncates toward zero; the remainder takes the sign of the dividend', () => {
    expect(run('7 / 2')).toBe(3n);
    expect(run('-7 / 2')).toBe(-3n);
    expect(run('-7 % 3')).toBe(-1n);
    expect(run('7 % -3')).toBe(1n);
  });
});

describe('int(double) and uint(double)', () => {
  it('truncate toward zero', () => {
    expect(run('int(1.9)')).toBe(1n);
    expect(run('int(-1.9)')).toBe(-1n);
    expect((run('uint(1.9)') as CelUint).value).toBe(1n);
    expect((run('uint(-0.0)') as CelUint).value).toBe(0n);
  });

  it('fail outside the target range', () => {
    expect(runError('int(1e19)')).toBe('int(1e+19): out of the int64 range');
    expect(runError('int(-1e19)')).toBe('int(-1e+19): out of the int64 range');
    // 2^63-1 is not a double: the literal is 2^63, one past the range (and so is -2^63 by cel-go's rule).
    expect(runError('int(9223372036854775807.0)')).toBe('int(9.223372036854776e+18): out of the int64 range');
    expect(runError('int(-9223372036854775808.0)')).toBe('int(-9.223372036854776e+18): out of the int64 range');
    expect(runError("int(double('NaN'))")).toBe('int(NaN): out of the int64 range');
    expect(runError("int(double('inf'))")).toBe('int(+Inf): out of the int64 range');
    expect(runError('uint(1e20)')).toBe('uint(1e+20): out of the uint64 range');
    expect(runError('uint(-1.0)')).toBe('uint(-1): out of the uint64 range');
  });

  it('uint of any negative double is an error, as in cel-go (not 0u)', () => {
    expect(runError('uint(-0.5)')).toBe('uint(-0.5): out of the uint64 range');
  });
});

describe('comparison and equality across int, uint and double', () => {
  it('ordering works across kinds at check time', () => {
    expectAllTrue(['1 < 1.5', '2u > 1', '1.5 > 1u', '-1 < 0u', '3 >= 3.0', 'x < 2', '2 > x'], { x: 1.5 });
  });

  it('equality across kinds needs dyn at check time, and then compares values', () => {
    expectAllTrue(['dyn(1) == 1.0', 'dyn(1.0) == 1', 'dyn(1u) == 1', 'dyn(1) == 1u', 'dyn(2.5) != 2', 'x == 1', 'x == 1u'], { x: 1 });
    expect(compileError('1 == 1.0').issues[0]?.code).toBe('no-matching-overload');
    expect(compileError('1u == 1').issues[0]?.code).toBe('no-matching-overload');
  });

  it('an int against a double compares the int converted to double (2^63-1 vs 2^63)', () => {
    // 2^63-1 rounds to 2^63 as a double, so the two are equal and neither is less.
    expectAllTrue([
      'dyn(9223372036854775807) == 9223372036854775808.0',
      '!(9223372036854775807 < 9223372036854775808.0)',
      '9223372036854775807 <= 9223372036854775808.0',
      '!(dyn(9223372036854775807) > 9223372036854775807.0)',
      // Between ints the comparison stays exact.
      '9223372036854775806 < 9223372036854775807',
      'dyn(9223372036854775807u) > 9223372036854775806',
    ]);
  });

  it('NaN is unequal to everything and unordered', () => {
    expectAllTrue(["double('NaN') != double('NaN')", "!(double('NaN') < 1.0)", "!(double('NaN') >= 1)", "!(dyn(double('NaN')) == 1)"]);
  });

  it('values of unrelated kinds are unequal at run time, never an error', () => {
    expectAllTrue(["dyn('1') != 1", 'dyn(true) != 1', 'dyn(null) != 0', 'dyn([1]) != 1']);
  });
});

describe('numeric promotion', () => {
  it('is on by default: int op double computes in double', () => {
    expect(run('1 + 1.5 == 2.5')).toBe(true);
    expect(run('size(s) * 0.5', { s: 'abcd' })).toBe(2);
    expect(run('request.max_tokens * 10.0 / 1000000.0', { request: { max_tokens: 1024n } })).toBe(0.01024);
    expect(run('2u * 1.5')).toBe(3);
    expect(run('i / 2.0', { i: 3n })).toBe(1.5);
  });

  it('does not mix int with uint', () => {
    expect(compileError('1u + 1').message).toBe(
      "1:4: no matching overload for '+' applied to (uint, int); convert one side with int(...) or uint(...)\n | 1u + 1\n |    ^",
    );
  });

  it('off: int op double is rejected at check time, suggesting double() or int()', () => {
    const strict = { numericPromotion: false };
    expect(compileError('1 + 1.5', strict).message).toBe(
      "1:3: no matching overload for '+' applied to (int, double); convert one side with double(...) or int(...)\n | 1 + 1.5\n |   ^",
    );
    expect(compileError('size(s) * 0.5', strict).message).toMatch(/applied to \(int, double\); convert one side with double\(\.\.\.\) or int\(\.\.\.\)/);
    const env = new CelEnv({ numericPromotion: false });
    expect(env.program('double(size("abcd")) * 0.5').eval()).toBe(2);
    expect(env.program('1 < 1.5').eval()).toBe(true); // comparisons across kinds are standard CEL
  });

  it('off: mixed operands arriving through dyn are a run-time error', () => {
    const env = new CelEnv({ numericPromotion: false });
    expect(env.program('dyn(1) + 1.5').evalResult()).toMatchObject({ message: 'no such overload: +(int, double)' });
  });
});
