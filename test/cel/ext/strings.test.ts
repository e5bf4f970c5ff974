import { describe, expect, it } from 'vitest';
import { CelCompileError } from '../../../src/cel/errors.js';
import { env, run, runError } from './helpers.js';

describe('charAt, indexOf, lastIndexOf', () => {
  it('index by code point, also above U+FFFF', () => {
    expect(run("'a😀b'.charAt(1)")).toBe('😀');
    expect(run("'a😀b'.charAt(2)")).toBe('b');
    expect(run("'abc'.charAt(3)")).toBe('');
    expect(run("'a😀b😀'.indexOf('😀', 2)")).toBe(3n);
    expect(run("'a😀b😀'.lastIndexOf('😀')")).toBe(3n);
    expect(run("'a😀b😀'.lastIndexOf('😀', 2)")).toBe(1n);
  });

  it('empty needles and misses', () => {
    expect(run("'tacocat'.indexOf('')")).toBe(0n);
    expect(run("'tacocat'.lastIndexOf('')")).toBe(7n);
    expect(run("'tacocat'.indexOf('', 3)")).toBe(3n);
    expect(run("'tacocat'.indexOf('none')")).toBe(-1n);
    expect(run("''.indexOf('a')")).toBe(-1n);
    expect(run("''.lastIndexOf('@@')")).toBe(-1n);
    expect(run("'bananananana'.lastIndexOf('nana', 7)")).toBe(6n);
  });

  it('reports offsets outside the string', () => {
    expect(runError("'tacocat'.charAt(30)")).toBe('index out of range: 30');
    expect(runError("'tacocat'.charAt(-1)")).toBe('index out of range: -1');
    expect(runError("'tacocat'.indexOf('a', 30)")).toBe('index out of range: 30');
    expect(runError("'tacocat'.indexOf('', 30)")).toBe('index out of range: 30');
    expect(runError("'tacocat'.lastIndexOf('a', -1)")).toBe('index out of range: -1');
  });

  it('rejects wrong argument kinds at run time', () => {
    expect(runError("dyn(42).charAt(2)")).toMatch(/no such overload/);
    expect(runError("'hello'.indexOf(dyn(true))")).toMatch(/no such overload/);
  });
});

describe('substring', () => {
  it('takes one or two code-point offsets', () => {
    expect(run("'tacocat'.substring(4)")).toBe('cat');
    expect(run("'ta©o©αT'.substring(2, 6)")).toBe('©o©α');
    expect(run("'a😀b😀'.substring(1, 3)")).toBe('😀b');
    expect(run("'tacocat'.substring(7, 7)")).toBe('');
  });

  it('checks the range', () => {
    expect(runError("'tacocat'.substring(40)")).toBe('index out of range: 40');
    expect(runError("'tacocat'.substring(1, 50)")).toBe('index out of range: 50');
    expect(runError("'tacocat'.substring(4, 3)")).toBe('invalid substring range. start: 4, end: 3');
  });
});

describe('case, trim, reverse, quote', () => {
  it('changes the case of ASCII letters only', () => {
    expect(run("'TacoCÆt Xii'.lowerAscii()")).toBe('tacocÆt xii');
    expect(run("'tacoCαt'.upperAscii()")).toBe('TACOCαT');
  });

  it("trims Unicode white space as Go's strings.TrimSpace does", () => {
    expect(run("' \\f\\n\\r\\t\\vtext  '.trim()")).toBe('text');
    expect(run("'\\u0085\\u00a0\\u1680text\\u2028\\u3000'.trim()")).toBe('text');
    // Zero-width characters and the BOM are not white space.
    expect(run("'\\u200btext\\ufeff'.trim()")).toBe('\u200btext\ufeff');
  });

  it('reverses code points', () => {
    expect(run("'abc'.reverse()")).toBe('cba');
    expect(run("'a😀b'.reverse()")).toBe('b😀a');
  });

  it('quotes with CEL escapes', () => {
    expect(run('strings.quote("first\\nsecond")')).toBe('"first\\nsecond"');
    expect(run("strings.quote('bell\\a \\\\ \"q\"')")).toBe('"bell\\a \\\\ \\"q\\""');
    expect(run('strings.quote("😀")')).toBe('"😀"');
    expect(run('strings.quote(s)', { s: 'lone \ud800 surrogate' })).toBe('"lone \ufffd surrogate"');
  });
});

describe('replace, split, join', () => {
  it('replace, with an optional limit', () => {
    expect(run("'{0} days {0} hours'.replace('{0}', '2')")).toBe('2 days 2 hours');
    expect(run("'aaa'.replace('a', 'b', 2)")).toBe('bba');
    expect(run("'aaa'.replace('a', 'b', 0)")).toBe('aaa');
    expect(run("'aaa'.replace('a', 'b', -1)")).toBe('bbb');
    // An empty pattern matches around every code point, as in Go.
    expect(run("'a😀'.replace('', '-')")).toBe('-a-😀-');
    expect(run("'abc'.replace('', '-', 2)")).toBe('-a-bc');
  });

  it('split, with an optional limit', () => {
    expect(run("'hello world'.split(' ')")).toEqual(['hello', 'world']);
    expect(run("'a,b,c'.split(',', 0)")).toEqual([]);
    expect(run("'a,b,c'.split(',', 2)")).toEqual(['a', 'b,c']);
    expect(run("'o©o©o'.split('©', -1)")).toEqual(['o', 'o', 'o']);
    expect(run("'a😀b'.split('')")).toEqual(['a', '😀', 'b']);
    expect(run("'abc'.split('', 2)")).toEqual(['a', 'bc']);
    expect(run("''.split(',')")).toEqual(['']);
  });

  it('join, with an optional separator', () => {
    expect(run("['x', 'y'].join()")).toBe('xy');
    expect(run("['x', 'y'].join('-')")).toBe('x-y');
    expect(run('[].join()')).toBe('');
    expect(runError("dyn(['a', 1]).join()")).toMatch(/not string/);
    expect(() => env.program('[1, 2].join()')).toThrow(CelCompileError);
  });
});
