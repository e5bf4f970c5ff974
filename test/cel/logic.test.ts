// Errors as values: && and || absorb an error when the other side decides the
// result, all() and exists() absorb errors once the answer is known, and every
// other operator and macro propagates them.

import { describe, expect, it } from 'vitest';
import { run, runError } from './helpers.js';

describe('&& and ||', () => {
  it('absorb an error on either side when the other side decides', () => {
    expect(run('false && (1/0 > 0)')).toBe(false);
    expect(run('(1/0 > 0) && false')).toBe(false);
    expect(run('(1/0 > 0) || true')).toBe(true);
    expect(run('true || (1/0 > 0)')).toBe(true);
  });

  it('propagate the error otherwise', () => {
    expect(runError('true && (1/0 > 0)')).toBe('division by zero');
    expect(runError('(1/0 > 0) && true')).toBe('division by zero');
    expect(runError('false || (1/0 > 0)')).toBe('division by zero');
    expect(runError('(1/0 > 0) || false')).toBe('division by zero');
  });

  it('absorb missing fields the same way', () => {
    expect(run('x.missing && x.flag', { x: { flag: false } })).toBe(false);
    expect(run('x.missing || x.flag', { x: { flag: true } })).toBe(true);
    expect(runError('x.missing || x.flag', { x: { flag: false } })).toBe('no such key: missing');
  });

  it('with two errors, report the left one', () => {
    expect(runError("(1/0 > 0) || x.missing", { x: {} })).toBe('division by zero');
    expect(runError("x.missing && (1/0 > 0)", { x: {} })).toBe('no such key: missing');
  });

  it('need bools: a non-bool operand that does not decide is an error', () => {
    expect(runError('x && true', { x: 1 })).toBe('no such overload: &&(double, bool)');
    expect(run('x && false', { x: 1 })).toBe(false); // false decides whatever the other side is
    expect(runError('x || false', { x: 'yes' })).toBe('no such overload: ||(string, bool)');
  });

  it('evaluate a long balanced chain with the decisive term anywhere', () => {
    const terms = Array.from({ length: 64 }, (_, k) => (k === 37 ? 'x.hit' : 'x.miss'));
    expect(run(terms.join(' || '), { x: { hit: true, miss: false } })).toBe(true);
    expect(run(terms.join(' && ').replaceAll('x.hit', 'x.miss2'), { x: { miss: true, miss2: false } })).toBe(false);
  });
});

describe('! and ? :', () => {
  it('propagate errors (nothing to absorb them)', () => {
    expect(runError('!(1/0 > 0)')).toBe('division by zero');
    expect(runError('(1/0 > 0) ? 1 : 2')).toBe('division by zero');
  });

  it('the conditional evaluates only the branch taken', () => {
    expect(run('true ? 1 : 1/0')).toBe(1n);
    expect(run('x > 0 ? 10 / x : 0', { x: 0 })).toBe(0n);
    expect(runError('x ? 1 : 2', { x: 'yes' })).toBe('no such overload: ?:(string)');
  });
});

describe('macros', () => {
  it('all() is false when some element is false, even if others error', () => {
    expect(run('[1, 0, 20].all(v, 10 / v > 1)')).toBe(false);
    expect(run('[0, 20].all(v, 10 / v > 1)')).toBe(false);
  });

  it('all() errors when no element is false and some errors', () => {
    expect(runError('[1, 0, 2].all(v, 10 / v > 1)')).toBe('division by zero');
  });

  it('exists() is true when some element is true, even if others error', () => {
    expect(run('[0, 1].exists(v, 10 / v > 1)')).toBe(true);
    expect(run('x.exists(v, v.score > 0.5)', { x: [{}, { score: 0.9 }] })).toBe(true);
  });

  it('exists() errors when no element is true and some errors', () => {
    expect(runError('[0, 20].exists(v, 10 / v > 1)')).toBe('division by zero');
    expect(runError('x.exists(v, v.score > 0.5)', { x: [{}, { score: 0.1 }] })).toBe('no such key: score');
  });

  it('exists_one(), map() and filter() propagate the first error', () => {
    expect(runError('[0, 1].exists_one(v, 10 / v > 1)')).toBe('division by zero');
    expect(runError('[1, 0].map(v, 10 / v)')).toBe('division by zero');
    expect(runError('[1, 0].map(v, v >= 0, 10 / v)')).toBe('division by zero');
    expect(runError('[1, 0].filter(v, 10 / v > 1)')).toBe('division by zero');
  });

  it('a non-bool predicate arriving through dyn is an error', () => {
    expect(runError('x.all(v, v)', { x: [true, 1] })).toBe('no such overload: all(double)');
    expect(runError('x.filter(v, v)', { x: ['a'] })).toBe('no such overload: filter(string)');
  });
});
