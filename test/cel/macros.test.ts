// Comprehension macros (all, exists, exists_one, map, filter, the two-variable
// forms and the transforms), their scoping, and cel.bind.

import { describe, expect, it } from 'vitest';
import { compileError, expectAllTrue, run, runError } from './helpers.js';

const ctx = { x: { messages: [{ role: 'system', tokens: 10 }, { role: 'user', tokens: 250 }], limits: { a: 1, b: 2 } } };

describe('one-variable macros', () => {
  it('all, exists, exists_one over lists', () => {
    expectAllTrue([
      '[1, 2, 3].all(v, v > 0)',
      '![1, 2, 3].all(v, v > 1)',
      '[1, 2, 3].exists(v, v > 2)',
      '![1, 2, 3].exists(v, v > 3)',
      '[1, 2, 3].exists_one(v, v > 2)',
      '![1, 2, 3].exists_one(v, v > 1)',
      '[1, 2, 3].existsOne(v, v == 2)',
      '[].all(v, false)',
      '![].exists(v, true)',
    ]);
  });

  it('map (with and without a filter) and filter build lists', () => {
    expect(run('[1, 2, 3].map(v, v * 2)')).toEqual([2n, 4n, 6n]);
    expect(run('[1, 2, 3].map(v, v > 1, v * 2)')).toEqual([4n, 6n]);
    expect(run('[1, 2, 3].filter(v, v % 2 == 1)')).toEqual([1n, 3n]);
    expect(run("x.messages.filter(m, m.role == 'user').map(m, m.tokens)", ctx)).toEqual([250]);
  });

  it('iterate over the keys of maps and JSON objects', () => {
    expect(run("{'a': 1, 'b': 2}.map(k, k)")).toEqual(['a', 'b']);
    expect(run('x.limits.filter(k, k != "a")', ctx)).toEqual(['b']);
    expect(run('x.limits.all(k, x.limits[k] > 0)', ctx)).toBe(true);
  });

  it('fail on something that is not a list or map', () => {
    expect(runError('x.exists(v, v > 0)', { x: 5 })).toBe('exists() needs a list or a map, got double');
    expect(compileError("'abc'.all(c, c != 'x')").message).toBe(
      "1:1: all() needs a list or a map, got string\n | 'abc'.all(c, c != 'x')\n | ^^^^^",
    );
  });
});

describe('two-variable macros', () => {
  it('bind index and element for lists, key and value for maps', () => {
    expectAllTrue([
      '[10, 20].all(i, v, v == (i + 1) * 10)',
      '[10, 20].exists_one(i, v, i == 1 && v == 20)',
      "{'a': 1, 'b': 2}.all(k, v, v > 0)",
      "{'a': 1, 'b': 2}.exists(k, v, k == 'b' && v == 2)",
      'x.limits.exists(k, v, v == 2)',
      "x.messages.all(i, m, i == 0 ? m.role == 'system' : m.role != 'system')",
    ], ctx);
  });

  it('transformList, transformMap and transformMapEntry', () => {
    expect(run('[1, 2].transformList(i, v, i * v)')).toEqual([0n, 2n]);
    expect(run('[1, 2, 3].transformList(i, v, v > 1, v)')).toEqual([2n, 3n]);
    expectAllTrue([
      "{'a': 1}.transformMap(k, v, v + 1) == {'a': 2}",
      "{'a': 1}.transformMapEntry(k, v, {v: k}) == {1: 'a'}",
      'x.limits.transformMap(k, v, v * 10) == {"a": 10.0, "b": 20.0}',
    ], ctx);
  });

  it('need two different names', () => {
    expect(compileError('[1].all(v, v, true)').message).toBe('1:12: all() needs two different variable names\n | [1].all(v, v, true)\n |            ^');
  });
});

describe('scoping', () => {
  it('an inner variable shadows an outer one of the same name, and the outer is visible again after', () => {
    expect(run('[[1, 2], [3]].map(v, v.map(v, v * 10))')).toEqual([[10n, 20n], [30n]]);
    expect(run('[1, 2].map(v, [v].exists(v, v == 1) || v == 2)')).toEqual([true, true]);
    expect(run('[1, 2].map(v, [3, 4].map(w, v * w))')).toEqual([[3n, 4n], [6n, 8n]]);
  });

  it('a macro variable shadows a context variable, only inside the macro', () => {
    expect(run('[1, 2].map(x, x * 2) + [x]', { x: 7n })).toEqual([2n, 4n, 7n]);
    expect(run('x.map(x, x + 1)', { x: [1, 2] })).toEqual([2, 3]);
  });

  it('variables are not visible outside their macro', () => {
    expect(compileError('[1].all(v, true) && v').issues.map((i) => i.message)).toEqual(["undeclared reference to 'v'"]);
  });
});

describe('cel.bind', () => {
  it('names a value for the rest of the expression', () => {
    expect(run('cel.bind(t, 2, t * t)')).toBe(4n);
    expect(run('cel.bind(a, 1, cel.bind(b, a + 1, a + b))')).toBe(3n);
    expect(run("cel.bind(u, x.messages.filter(m, m.role == 'user'), size(u) == 1 && u[0].tokens > 100)", ctx)).toBe(true);
  });

  it('shadows and is shadowed like macro variables', () => {
    expect(run('cel.bind(v, 10, [1, 2].map(v, v) + [v])')).toEqual([1n, 2n, 10n]);
    expect(run('cel.bind(x, 2, x * x)', { x: 100n })).toBe(4n);
  });

  it('evaluates the bound value eagerly, as cel-go does: its error is the error of the whole expression', () => {
    expect(runError('cel.bind(q, 1 / 0, q > 0)')).toBe('division by zero');
    expect(runError('cel.bind(q, 1 / 0, true)')).toBe('division by zero');
  });
});
