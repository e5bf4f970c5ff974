// Untrusted input. Contexts are JSON from callers: keys that are names of
// Object.prototype members are data like any other. Expressions come from many
// policy authors: their text is never executed as JavaScript, and hostile sizes
// and nesting fail with a message instead of a crash.

import { afterEach, describe, expect, it } from 'vitest';
import { CelEnv } from '../../src/cel/env.js';
import { CelCompileError } from '../../src/cel/errors.js';
import { parse } from '../../src/cel/parser.js';
import { T } from '../../src/cel/types.js';
import { CelMap } from '../../src/cel/values.js';
import { compileError, env, expectAllTrue, run, runError } from './helpers.js';

const PROTO_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__'];

describe('JSON objects are read as data only', () => {
  it.each(PROTO_NAMES)('%s is absent from {} however it is read', (key) => {
    const vars = { x: {} };
    expect(runError(`x.${key}`, vars)).toBe(`no such key: ${key}`);
    expect(runError(`x['${key}']`, vars)).toBe(`no such key: ${key}`);
    expect(runError(`x.a.${key}`, { x: { a: {} } })).toBe(`no such key: ${key}`);
    expect(runError(`x.a.b.c.d.e.${key}`, { x: { a: { b: { c: { d: { e: {} } } } } } })).toBe(`no such key: ${key}`);
    expectAllTrue([`!has(x.${key})`, `!('${key}' in x)`, `!x.?${key}.hasValue()`, `!x[?'${key}'].hasValue()`, 'size(x) == 0'], vars);
  });

  it.each(PROTO_NAMES)('%s is an ordinary key when the data has it', (key) => {
    const vars = JSON.parse(`{"x": {"${key}": 1, "a": {"${key}": "deep"}}}`) as Record<string, unknown>;
    expectAllTrue(
      [
        `x.${key} == 1`,
        `x['${key}'] == 1`,
        `has(x.${key})`,
        `'${key}' in x`,
        `x.a.${key} == 'deep'`,
        `x.?${key}.value() == 1`,
        'size(x) == 2',
        `x.exists(k, k == '${key}')`,
      ],
      vars,
    );
  });

  it('map literals with such keys behave like any map', () => {
    expectAllTrue([
      '{"constructor": 1}.constructor == 1',
      '{"constructor": 1}["constructor"] == 1',
      '{"__proto__": {"a": 1}}.__proto__.a == 1',
      'size({"__proto__": 1, "toString": 2}) == 2',
      '!has({"a": 1}.toString)',
    ]);
    expect(run('{"__proto__": 1}')).toBeInstanceOf(CelMap);
  });

  it('context objects with such keys compare equal to literals with the same entries', () => {
    const vars = JSON.parse('{"x": {"__proto__": 5, "constructor": 2}}') as Record<string, unknown>;
    expect(run("x == {'__proto__': 5, 'constructor': 2}", vars)).toBe(true);
  });

  it('top-level names are context entries, never inherited ones', () => {
    const open = new CelEnv({ allowUndeclared: true });
    for (const key of PROTO_NAMES) {
      const r = open.program(key).evalResult({});
      expect(r, key).toMatchObject({ message: `no such key: ${key} (the evaluation context has no '${key}')` });
      expect(open.program(key).eval({ [key]: 'own' }), key).toBe('own');
    }
    // Without allowUndeclared they are simply undeclared names.
    expect(compileError('constructor').issues[0]?.code).toBe('undeclared');
  });

  it('null-prototype records are maps too', () => {
    const rec = Object.assign(Object.create(null) as object, { a: 3 });
    expect(run('x.a + 1', { x: rec })).toBe(4);
    expect(runError('x.toString', { x: rec })).toBe('no such key: toString');
  });

  it('JS objects that are not JSON are not readable as maps', () => {
    expect(runError('x.a', { x: new Map([['a', 1]]) })).toBe("cannot select field 'a' from unsupported JS object (Map)");
    expect(runError('x.getTime', { x: new Date(0) })).toBe("cannot select field 'getTime' from unsupported JS object (Date)");
  });
});

describe('expression text is never executed', () => {
  const g = globalThis as Record<string, unknown>;
  afterEach(() => {
    delete g.__celPwned;
  });

  it('field names and keys that look like JavaScript are looked up as keys', () => {
    const payloads = [
      "x.`a'];globalThis.__celPwned=1;//`",
      'x.`a`.`b"+(globalThis.__celPwned=1)+"`.c.d',
      "x['\\');globalThis.__celPwned=1;//']",
      "x.a['${globalThis.__celPwned=1}']",
      'x.__proto__.polluted',
    ];
    for (const p of payloads) {
      const r = env.program(p).evalResult({ x: { a: {} } });
      expect(String((r as { message?: string }).message), p).toMatch(/^no such key: /);
    }
    expect(g.__celPwned).toBeUndefined();
  });

  it('strings that look like JavaScript stay strings', () => {
    expect(run("'${globalThis.__celPwned=1}' + \"`);globalThis.__celPwned=1;(`\"")).toBe('${globalThis.__celPwned=1}`);globalThis.__celPwned=1;(`');
    expect(g.__celPwned).toBeUndefined();
  });

  it('JavaScript call syntax is not CEL', () => {
    expect(() => env.compile("x['constructor']['constructor']('return 1')()")).toThrow(CelCompileError);
    expect(() => env.compile('(function () { return 1 })()')).toThrow(CelCompileError);
    expect(() => env.compile('x => 1')).toThrow(CelCompileError);
  });

  it('map literals and context keys do not pollute Object.prototype', () => {
    run("{'__proto__': {'polluted': 1}}");
    run("{'a': 1}.transformMapEntry(k, v, {'__proto__': {'polluted': 1}})");
    run('x.__proto__.polluted', JSON.parse('{"x": {"__proto__": {"polluted": 1}}}') as Record<string, unknown>);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('hostile expressions', () => {
  const compileMessage = (src: string, on: CelEnv = env): string => {
    try {
      on.compile(src);
    } catch (e) {
      expect(e).toBeInstanceOf(CelCompileError);
      return (e as CelCompileError).message;
    }
    throw new Error('expected a compile error');
  };

  it('accepts 100,000 characters, rejects more with a short message', () => {
    expect(run(`'${'a'.repeat(99_998)}'`)).toHaveLength(99_998);
    const msg = compileMessage(`'${'a'.repeat(99_999)}'`);
    expect(msg.split('\n')[0]).toBe("1:1: expression is 100001 characters long; the limit is 100000. Split it with 'let' bindings");
    expect(msg.length).toBeLessThan(400); // the source line is cut, not copied whole
  });

  it('shows a window of a long line around the error', () => {
    const msg = compileMessage(`x${' '.repeat(99_990)}+`);
    const [head, line, caret] = msg.split('\n');
    expect(head).toBe('1:99993: expected an expression, found the end of the expression');
    expect(line).toBe(` | …${' '.repeat(99)}+`);
    expect(caret).toBe(` | ${' '.repeat(101)}^`);
  });

  const TOO_DEEP = /^1:\d+: expression nests deeper than 250 levels; simplify it or split it with 'let' bindings\n/;
  const N = 10_000;
  // Each within the 100,000-character limit, so that the nesting is what fails.
  it.each([
    ['parentheses', '('.repeat(N) + '1' + ')'.repeat(N)],
    ['lists', '['.repeat(N) + ']'.repeat(N)],
    ['maps', '{1:'.repeat(N) + '1' + '}'.repeat(N)],
    ['calls', 'size('.repeat(N) + "'a'" + ')'.repeat(N)],
    ['unary minus', '-'.repeat(N) + 'x'],
    ['negation', '!'.repeat(N) + 'true'],
    ['conditionals', 'x?1:'.repeat(N) + '2'],
    ['field selections', 'x' + '.a'.repeat(N)],
    ['indexes', 'x' + '[0]'.repeat(N)],
    ['method calls', "'a'" + '.size()'.repeat(N)],
    ['map() calls', 'x' + '.map(v,v)'.repeat(N)],
    ['nested macros', 'x.all(v,'.repeat(N) + 'true' + ')'.repeat(N)],
    ['cel.bind', 'cel.bind(a,1,'.repeat(7_000) + 'a' + ')'.repeat(7_000)],
    ['a + chain', Array(N).fill('1').join(' + ')],
    ['an == chain', Array(N).fill('1').join(' == ')],
    ['an in chain', Array(N).fill('1').join(' in ')],
  ])('%s nested thousands deep fail with a clear message', (_what, src) => {
    expect(src.length).toBeLessThanOrEqual(100_000);
    const msg = compileMessage(src);
    expect(msg).toMatch(TOO_DEEP);
    expect(msg.length).toBeLessThan(400);
  });

  it('accepts 250 levels', () => {
    expect(run('('.repeat(250) + '1' + ')'.repeat(250))).toBe(1n);
    expect(run('-'.repeat(250) + 'x', { x: 1n })).toBe(1n);
    expect(run(Array(251).fill('1').join(' + '))).toBe(251n);
    expect(() => env.compile(Array(252).fill('1').join(' + '))).toThrow(TOO_DEEP);
  });

  it('the limit is configurable', () => {
    const shallow = new CelEnv({ parse: { maxDepth: 3 } });
    expect(shallow.program('((1))').eval()).toBe(1n);
    expect(compileMessage('1 + 2 + 3 + 4 + 5', shallow)).toMatch(/nests deeper than 3 levels/);
    expect(() => parse('[[[[1]]]]', { maxDepth: 3 })).toThrow(/nests deeper than 3 levels/);
  });

  it('a 20,000-term || chain compiles and evaluates (the parser balances logical chains)', () => {
    const big = new CelEnv({ variables: { a: T.bool, b: T.bool } });
    const src = Array.from({ length: 20_000 }, (_, k) => (k === 12_345 ? 'a' : 'b')).join(' || ');
    const program = big.program(src);
    expect(program.eval({ a: true, b: false })).toBe(true);
    expect(program.eval({ a: false, b: false })).toBe(false);
    expect(program.evalResult({ a: false })).toMatchObject({ message: "no such key: b (the evaluation context has no 'b')" });
    expect(program.eval({ a: true })).toBe(true); // the error of every `b` is absorbed by the one true term
  });
});

describe('deeply nested context data', () => {
  const nestLists = (n: number, leaf: unknown): unknown => {
    let v = leaf;
    for (let k = 0; k < n; k++) v = [v];
    return v;
  };
  const json = JSON.parse('{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000)) as unknown;

  it('is compared without overflowing the stack', () => {
    expect(run('x == y', { x: nestLists(100_000, 1), y: nestLists(100_000, 1) })).toBe(true);
    expect(run('x == y', { x: nestLists(100_000, 1), y: nestLists(100_000, 2) })).toBe(false);
    expect(run('x == y', { x: json, y: JSON.parse('{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000)) as unknown })).toBe(true);
    expect(run('x == y', { x: json, y: JSON.parse('{"a":'.repeat(100_000) + '2' + '}'.repeat(100_000)) as unknown })).toBe(false);
    expect(run('x in [y]', { x: nestLists(100_000, 1), y: nestLists(100_000, 1) })).toBe(true);
    expect(run('optional.of(x) != optional.of(y)', { x: nestLists(100_000, 1), y: nestLists(99_999, 1) })).toBe(true);
  });

  it('is read, measured and iterated like shallow data', () => {
    expectAllTrue(['size(x) == 1', 'has(x.a)', 'type(x.a.a.a.a.a.a.a.a.a.a) == map', "x.exists(k, k == 'a')"], { x: json });
  });

  it('fails to print with a CEL error, not a crash', () => {
    expect(runError("'%s'.format([x])", { x: nestLists(100_000, 1) })).toBe(
      'error during formatting: the value nests more than 1000 lists or maps deep',
    );
    expect(run("'%s'.format([x])", { x: nestLists(3, 1) })).toBe('[[[1]]]');
  });
});
