import { describe, expect, it } from 'vitest';
import { run, runError } from './helpers.js';

describe('string.format', () => {
  it('substitutes in order and escapes %%', () => {
    expect(run('"%s is %d, %%".format(["x", 42])')).toBe('x is 42, %');
    expect(run('"no substitution".format([])')).toBe('no substitution');
    expect(run('s.format([1])', { s: '%d%%' })).toBe('1%');
  });

  it('%s prints every kind of value', () => {
    expect(run('"%s %s %s %s".format([null, true, 3u, b"xyz"])')).toBe('null true 3 xyz');
    expect(run('"%s".format([type(1)])')).toBe('int');
    expect(run('"%s".format([timestamp("2023-02-03T23:31:20.120Z")])')).toBe('2023-02-03T23:31:20.12Z');
    expect(run('"%s".format([duration("1h45m47.5s")])')).toBe('6347.5s');
    expect(run('"%s".format([[1, 4.2, "a", [null]]])')).toBe('[1, 4.2, a, [null]]');
    expect(run('"%s".format([{"b": 1, 2: 2.5, true: "x"}])')).toBe('{2: 2.5, b: 1, true: x}');
  });

  it('prints doubles with the shortest digits and no exponent', () => {
    expect(run('"%s %s %s".format([0.1, 1e21, 1e-7])')).toBe('0.1 1000000000000000000000 0.0000001');
    expect(run('"%s".format([[0.0/0.0, 1.0/0.0, -1.0/0.0]])')).toBe('[NaN, Infinity, -Infinity]');
    expect(run('"%d %d".format([1.5, -7])')).toBe('1.5 -7');
  });

  it('%f and %e round the exact value half to even', () => {
    expect(run('"%f".format([2.71828])')).toBe('2.718280');
    expect(run('"%.0f %.0f %.0f".format([1.5, 2.5, 3.5001])')).toBe('2 2 4');
    expect(run('"%.2f %.2f".format([0.125, 0.375])')).toBe('0.12 0.38');
    expect(run('"%.1f".format([-0.04])')).toBe('-0.0');
    expect(run('"%.20f".format([0.1])')).toBe('0.10000000000000000555');
    expect(run('"%.3f".format([5])')).toBe('5.000');
    expect(run('"%.6e".format([1052.032911275])')).toBe('1.052033e+03');
    expect(run('"%e %.0e %.2e".format([0.0, 5.0, 9.995])')).toBe('0.000000e+00 5e+00 9.99e+00');
    expect(run('"%e".format([1e300])')).toBe('1.000000e+300');
    expect(run('"%e %f".format([0.0/0.0, -1.0/0.0])')).toBe('NaN -Infinity');
  });

  it('%b, %o, %x, %X', () => {
    expect(run('"%b %b %b".format([5, uint(64), true])')).toBe('101 1000000 1');
    expect(run('"%o %o".format([11, -8])')).toBe('13 -10');
    expect(run('"%x %X %x".format([30, 26, -255])')).toBe('1e 1A -ff');
    expect(run('"%x %X".format(["Hi", b"\\xff"])')).toBe('4869 FF');
  });

  it('reports bad clauses and missing arguments', () => {
    expect(runError('"%a".format([1])')).toBe('could not parse formatting clause: unrecognized formatting clause "a"');
    expect(runError('"%E".format([1.0])')).toMatch(/unrecognized formatting clause "E"/);
    expect(runError('"%d %d %d".format([0, 1])')).toBe('index 2 out of range');
    expect(runError('"50%".format([1])')).toBe('unexpected end of string');
    expect(runError('"%.f".format([1.0])')).toMatch(/precision/);
    expect(runError('"%.3".format([1.0])')).toMatch(/precision/);
  });

  it('reports values a clause cannot print', () => {
    expect(runError('"%b".format(["abc"])')).toMatch(/^error during formatting: .*binary, was given string$/);
    expect(runError('"%d".format([duration("30m")])')).toMatch(/was given google.protobuf.Duration$/);
    expect(runError('"%x".format([0.5])')).toMatch(/hex, was given double$/);
    expect(runError('"%o".format([null])')).toMatch(/was given null_type$/);
    expect(runError('"%s".format([[optional.of(1)]])')).toMatch(/was given optional_type$/);
  });
});
