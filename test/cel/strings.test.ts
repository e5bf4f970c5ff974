// Membership, sizes and the core string functions: what a policy author relies
// on for model names, prompts, tags and permissions.

import { describe, expect, it } from 'vitest';
import { compileError, expectAllTrue, run, runError } from './helpers.js';

describe('in', () => {
  it('tests list membership with CEL equality, across numeric kinds', () => {
    expectAllTrue([
      "'gpt-4o' in ['gpt-4o', 'gpt-4o-mini']",
      "!('gpt-4' in ['gpt-4o', 'gpt-4o-mini'])",
      '1 in [1.0, 2]',
      'dyn(1) in [1.0, 2]',
      'dyn(1u) in [1, 2]',
      '!(dyn(2.5) in [1, 2])',
      '[1, 2] in [[1, 2], [3]]',
      "dyn({'a': 1}) in [{'a': 1.0}]",
      '!(1 in [])',
    ]);
  });

  it('works on context lists, whose numbers are doubles', () => {
    expectAllTrue(["'admin' in x.roles", '3 in x.ids', "!('3' in x.ids)"], { x: { roles: ['admin', 'dev'], ids: [1, 2, 3] } });
    // A literal list of strings is a set lookup: values of another kind are simply absent.
    expectAllTrue(["!(x in ['a', 'b'])"], { x: 1 });
  });

  it('tests map keys (not values)', () => {
    expectAllTrue(["'a' in {'a': 1}", "!(dyn(1) in {'a': 1})", "'tier' in x", "!('pro' in x)", '1 in {1: 2}', 'dyn(1.0) in {1: 2}'], {
      x: { tier: 'pro' },
    });
  });

  it('is a type error between a scalar and a list of another type, and at run time for non-containers', () => {
    expect(compileError("1 in ['a']").issues[0]?.code).toBe('no-matching-overload');
    expect(runError("'a' in x", { x: 'abc' })).toBe('no such overload: in(string, string)');
  });
});

describe('size', () => {
  it('counts code points in strings, bytes in bytes', () => {
    expect(run("size('hello')")).toBe(5n);
    expect(run("size('héllo')")).toBe(5n);
    expect(run("size('😀')")).toBe(1n);
    expect(run("'😀😀'.size()")).toBe(2n);
    expect(run('size(s)', { s: '👍🏽' })).toBe(2n); // thumbs up + skin tone modifier: two code points
    expect(run("size(b'\\xff\\xfe')")).toBe(2n);
    expect(run("size(bytes('😀'))")).toBe(4n);
  });

  it('counts list elements and map entries', () => {
    expect(run('size([1, 2, 3])')).toBe(3n);
    expect(run('size(x)', { x: { a: 1, b: 2 } })).toBe(2n);
    expect(run('x.size()', { x: [] })).toBe(0n);
    expect(runError('size(x)', { x: 3 })).toBe('no such overload: size(double)');
  });
});

describe('string functions', () => {
  it('contains, startsWith, endsWith are case-sensitive and exact', () => {
    expectAllTrue([
      "'hello world'.contains('o w')",
      "!'hello'.contains('H')",
      "'hello'.contains('')",
      "'gpt-4o-mini'.startsWith('gpt-4')",
      "!'gpt-4o'.startsWith('GPT')",
      "'report.pdf'.endsWith('.pdf')",
      "'😀ab'.startsWith('😀')",
    ]);
  });

  it('matches uses RE2 syntax and is unanchored', () => {
    expectAllTrue([
      "'hello'.matches('l+')",
      "!'Hello'.matches('^h')",
      "'Hello'.matches('(?i)^h')",
      "'abc'.matches('^[a-c]+$')",
      "matches('abc', 'b')",
      "'user@acme.com'.matches('@(acme|example)\\\\.com$')",
      "'a1b2'.matches(r'\\d')",
      "'aaa'.matches('(a+)+$')", // exponential with backtracking engines, linear with RE2
      "'id-42'.matches('(?P<n>[0-9]+)')",
      "'😀'.matches('^.$')", // . is one code point, not one UTF-16 unit
      "'É'.matches('(?i)é')",
      "!'ab\\ncd'.matches('^cd')",
      "'ab\\ncd'.matches('(?m)^cd')",
    ]);
  });

  it('matches with a pattern from the context compiles it at run time', () => {
    expect(run('s.matches(x)', { s: 'gpt-4o', x: '^gpt-4' })).toBe(true);
    expect(runError('s.matches(x)', { s: 'gpt-4o', x: '[' })).toBe(
      "invalid regular expression '[': error parsing regexp: missing closing ]: `[`",
    );
    // RE2 has no backreferences.
    expect(runError('s.matches(x)', { s: 'aa', x: '(a)\\1' })).toMatch(/^invalid regular expression '\(a\)\\1': /);
  });

  it('orders strings by code point, not by UTF-16 unit', () => {
    expectAllTrue([
      "'a' < 'b'",
      "'B' < 'a'",
      "'z' < 'aa' == false",
      "'' < 'a'",
      "'abc' < 'abd'",
      "'ab' < 'abc'",
      // U+FFFF sorts before U+1F600, although its UTF-16 unit 0xFFFF is above the surrogate 0xD83D.
      "'\\uffff' < '😀'",
      "'\\ue000' < '😀'",
      "b'a' < b'b'",
    ]);
  });

  it('concatenates with +, and strings do not mix with numbers', () => {
    expect(run("'gpt-' + '4o'")).toBe('gpt-4o');
    expect(run("'n=' + string(x)", { x: 3 })).toBe('n=3');
    expect(runError("'n=' + x", { x: 3 })).toBe('no such overload: +(string, double)');
  });
});
