// Reading the context: field selection, has(), indexing, and the optional
// syntax (.?field, [?key], optional entries) with its functions.

import { describe, expect, it } from 'vitest';
import { CelOptional } from '../../src/cel/values.js';
import { expectAllTrue, run, runError } from './helpers.js';

const ctx = { x: { a: 1, nested: { b: 'two', nothing: null }, list: [10, 20], empty: {} } };

describe('field selection and has()', () => {
  it('reads fields of JSON objects, at any depth', () => {
    expect(run('x.a', ctx)).toBe(1);
    expect(run('x.nested.b', ctx)).toBe('two');
    expect(run("x['nested']['b']", ctx)).toBe('two');
    expect(run('x.nested.nothing', ctx)).toBeNull();
  });

  it('a missing key is an error naming the key', () => {
    expect(runError('x.b', ctx)).toBe('no such key: b');
    expect(runError('x.nested.c', ctx)).toBe('no such key: c');
    expect(runError("x['b']", ctx)).toBe('no such key: b');
    expect(runError('x.empty.a.b', ctx)).toBe('no such key: a');
  });

  it('a missing variable names the variable', () => {
    expect(runError('x.a', {})).toBe("no such key: x (the evaluation context has no 'x')");
  });

  it('undefined properties count as absent', () => {
    expect(runError('x.a', { x: { a: undefined } })).toBe('no such key: a');
    expect(run('has(x.a)', { x: { a: undefined } })).toBe(false);
    expect(run('size(x)', { x: { a: undefined, b: 1 } })).toBe(1n);
  });

  it('selecting from a non-map says what the value is', () => {
    expect(runError('x.a.b', ctx)).toBe("cannot select field 'b' from double");
    expect(runError('x.list.size', ctx)).toBe("cannot select field 'size' from list");
  });

  it('has() tests presence without reading', () => {
    expectAllTrue(['has(x.a)', '!has(x.b)', 'has(x.nested.b)', 'has(x.nested.nothing)', '!has(x.empty.a)'], ctx);
    // The operand must exist: has() tests only the last field.
    expect(runError('has(x.missing.b)', ctx)).toBe('no such key: missing');
    expect(runError('has(x.a.b)', ctx)).toBe('no such overload: has(double)');
  });

  it('has() works on map literals, and keys that are not identifiers use [] or in', () => {
    expectAllTrue(["has({'a': 1}.a)", "!has({'a': 1}.b)", "'content-type' in x", "x['content-type'] == 'json'"], { x: { 'content-type': 'json' } });
  });

  it('indexes lists by int, uint or integral double', () => {
    expect(run('x.list[1]', ctx)).toBe(20);
    expect(run('x.list[1u]', ctx)).toBe(20);
    expect(run('x.list[dyn(1.0)]', ctx)).toBe(20);
    expect(runError('x.list[2]', ctx)).toBe('index out of range: 2 (the list has 2 elements)');
    expect(runError('x.list[-1]', ctx)).toBe('index out of range: -1 (the list has 2 elements)');
    expect(runError('x.list[dyn(0.5)]', ctx)).toBe('list index 0.5 is not an integer');
    expect(runError('[1][9223372036854775807]')).toBe('index out of range: 9223372036854775807 (the list has 1 element)');
  });

  it('map literals with int keys find entries by any equal number', () => {
    expectAllTrue(["{1: 'a'}[dyn(1u)] == 'a'", "{1: 'a'}[dyn(1.0)] == 'a'", "!(dyn(1.5) in {1: 'a'})"]);
    expect(runError("{1: 'a'}[2]")).toBe('no such key: 2');
  });
});

describe('optional syntax', () => {
  it('.?field is optional.of(value) when present, optional.none() when absent', () => {
    expect(run('x.?a', ctx)).toEqual(new CelOptional(1));
    expect(run('x.?b', ctx)).toBe(CelOptional.NONE);
    expectAllTrue(['x.?a.hasValue()', '!x.?b.hasValue()', 'x.?b.orValue(7) == 7', 'x.?a.orValue(7) == 1'], ctx);
  });

  it('selection and indexing continue through an optional (optional chaining)', () => {
    expectAllTrue(
      [
        "x.?nested.b.orValue('none') == 'two'",
        "x.?missing.b.orValue('none') == 'none'",
        "x.?nested.?c.orValue('none') == 'none'",
        "x.?nested.missing.orValue('none') == 'none'",
        'x.?list[1].orValue(0) == 20',
        'x.?list[5].orValue(0) == 0',
      ],
      ctx,
    );
  });

  it('[?key] and [?index] look up without failing', () => {
    expectAllTrue(
      ["x[?'a'].orValue(0) == 1", "x[?'b'].orValue(0) == 0", 'x.list[?0].value() == 10', '!x.list[?2].hasValue()', '!x.list[?-1].hasValue()'],
      ctx,
    );
  });

  it('optional.of / none / ofNonZeroValue and value()', () => {
    expectAllTrue([
      'optional.of(1).value() == 1',
      '!optional.none().hasValue()',
      'optional.of(0).hasValue()',
      '!optional.ofNonZeroValue(0).hasValue()',
      "!optional.ofNonZeroValue('').hasValue()",
      '!optional.ofNonZeroValue([]).hasValue()',
      "optional.ofNonZeroValue('a').hasValue()",
      'optional.of(1) == optional.of(1)',
      'optional.none() == optional.none()',
      'optional.of(1) != optional.none()',
    ]);
    expect(runError('optional.none().value()')).toBe('optional.none() has no value: check hasValue() first or use orValue()');
  });

  it('or() and orValue() evaluate their argument only when needed', () => {
    expectAllTrue([
      'optional.none().or(optional.of(2)).value() == 2',
      'optional.of(1).or(optional.of(2)).value() == 1',
      'optional.of(1).orValue(1/0) == 1',
      'optional.of(1).or(optional.of(1/0)).value() == 1',
    ]);
    expect(runError('optional.none().orValue(1/0)')).toBe('division by zero');
  });

  it('optMap() and optFlatMap() transform a present value', () => {
    expectAllTrue([
      'optional.of(2).optMap(v, v * 3).value() == 6',
      '!optional.none().optMap(v, v * 3).hasValue()',
      'optional.of(2).optFlatMap(v, v > 1 ? optional.of(v) : optional.none()).value() == 2',
      '!optional.of(0).optFlatMap(v, v > 1 ? optional.of(v) : optional.none()).hasValue()',
      "x.?nested.optMap(n, n.b + '!').orValue('') == 'two!'",
    ], ctx);
    expect(runError('dyn(1).optMap(v, v)')).toBe('optMap() needs an optional, got int');
  });

  it('optional list and map entries are left out when empty', () => {
    expect(run('[1, ?optional.none(), ?optional.of(3)]')).toEqual([1n, 3n]);
    expect(run('[?x.?a, ?x.?b]', ctx)).toEqual([1]);
    expectAllTrue(
      [
        "{'a': 1, ?'b': x.?b, ?'c': x.?a} == {'a': 1, 'c': 1}",
        "size({?'b': optional.none()}) == 0",
      ],
      ctx,
    );
    expect(runError('[?x]', { x: 1 })).toBe('optional list entry needs an optional value, got double');
  });
});
