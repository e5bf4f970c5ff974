// Conversion functions: int, uint, double, string, bool, bytes, timestamp,
// duration, type and dyn, with their failure messages.

import { describe, expect, it } from 'vitest';
import { CelType, CelUint } from '../../src/cel/values.js';
import { expectAllTrue, run, runError } from './helpers.js';

describe('int() and uint()', () => {
  it('parse decimal strings with an optional sign', () => {
    expect(run("int('42')")).toBe(42n);
    expect(run("int('-42')")).toBe(-42n);
    expect(run("int('+7')")).toBe(7n);
    expect((run("uint('42')") as CelUint).value).toBe(42n);
  });

  it('reject anything else, and values out of range', () => {
    expect(runError("int(' 42')")).toBe("int(' 42'): not an integer");
    expect(runError("int('4.2')")).toBe("int('4.2'): not an integer");
    expect(runError("int('0x10')")).toBe("int('0x10'): not an integer");
    expect(runError("int('9223372036854775808')")).toBe("int('9223372036854775808'): out of the int64 range");
    expect(runError("uint('-1')")).toBe("uint('-1'): not an unsigned integer");
    expect(runError('uint(-1)')).toBe('uint(-1): negative values are out of the uint64 range');
    expect(runError('int(18446744073709551615u)')).toBe('int(18446744073709551615u): out of the int64 range');
  });

  it('convert between int and uint, and timestamps to Unix seconds', () => {
    expect(run('int(42u)')).toBe(42n);
    expect((run('uint(42)') as CelUint).value).toBe(42n);
    expect(run("int(timestamp('1970-01-01T00:01:00Z'))")).toBe(60n);
    expect(run('int(x)', { x: 3.7 })).toBe(3n);
  });
});

describe('double()', () => {
  it('converts numbers and numeric strings, including special values', () => {
    expect(run('double(1)')).toBe(1);
    expect(run('double(1u)')).toBe(1);
    expect(run("double('1.5')")).toBe(1.5);
    expect(run("double('1e3')")).toBe(1000);
    expect(run("double('-inf')")).toBe(-Infinity);
    expect(Number.isNaN(run("double('NaN')"))).toBe(true);
    expect(runError("double('abc')")).toBe("double('abc'): not a number");
    expect(runError("double('')")).toBe("double(''): not a number");
  });
});

describe('string()', () => {
  it('prints numbers as CEL does (doubles like Go %g)', () => {
    expect(run('string(1)')).toBe('1');
    expect(run('string(-1)')).toBe('-1');
    expect(run('string(1u)')).toBe('1');
    expect(run('string(1.5)')).toBe('1.5');
    expect(run('string(100000.0)')).toBe('100000');
    expect(run('string(1000000.0)')).toBe('1e+06');
    expect(run('string(0.0001)')).toBe('0.0001');
    expect(run('string(0.00001)')).toBe('1e-05');
    expect(run('string(x)', { x: 3 })).toBe('3');
    expect(run("string(double('inf'))")).toBe('+Inf');
  });

  it('prints bools, and decodes bytes as UTF-8', () => {
    expect(run('string(true)')).toBe('true');
    expect(run("string(b'caf\\xc3\\xa9')")).toBe('café');
    expect(runError("string(b'\\xff')")).toBe('string(bytes): invalid UTF-8');
  });

  it('does not print lists or maps', () => {
    expect(runError('string(x)', { x: [1] })).toBe('no such overload: string(list)');
    expect(runError('string(x)', { x: {} })).toBe('no such overload: string(map)');
  });
});

describe('bool() and bytes()', () => {
  it('bool() accepts the spellings CEL allows, nothing else', () => {
    expectAllTrue(["bool('true')", "bool('TRUE')", "bool('True')", "bool('t')", "bool('1')", "!bool('false')", "!bool('f')", "!bool('0')"]);
    expect(runError("bool('yes')")).toBe("bool('yes'): not a boolean; use true/false, t/f or 1/0");
  });

  it('bytes() encodes strings as UTF-8', () => {
    expect(run("bytes('é')")).toEqual(new Uint8Array([0xc3, 0xa9]));
    expect(run("bytes('é') == b'\\xc3\\xa9'")).toBe(true);
  });
});

describe('type() and dyn()', () => {
  it('type() names the kind of a value; type names are values', () => {
    expectAllTrue([
      'type(1) == int',
      'type(1u) == uint',
      'type(1.0) == double',
      "type('a') == string",
      "type(b'a') == bytes",
      'type(true) == bool',
      'type(null) == null_type',
      'type([]) == list',
      'type({}) == map',
      "type(duration('1s')) == google.protobuf.Duration",
      "type(timestamp('2024-01-01T00:00:00Z')) == google.protobuf.Timestamp",
      'type(int) == type',
      'type(x) == map && type(x.n) == double && type(x.l) == list',
    ], { x: { n: 1, l: [] } });
    expect(run('type(1)')).toEqual(new CelType('int'));
  });

  it('dyn() defers type checks to run time', () => {
    expect(run("dyn(1) + 1")).toBe(2n);
    expect(run("dyn([1, 'a'])")).toEqual([1n, 'a']);
    expect(runError("dyn('a') + 1")).toBe('no such overload: +(string, int)');
  });
});
