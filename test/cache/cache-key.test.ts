// Decision-cache keys: the leaves a key reader takes from a context must
// tell apart every two contexts the policies could tell apart, and only those.

import { describe, expect, it } from 'vitest';
import { buildKeyReader, encodeValue, sameLeaves } from '../../src/cache/cache-key.js';
import type { ReadSpec } from '../../src/engine/read-paths.js';

function reader(...reads: string[]) {
  const specs: ReadSpec[] = reads.map((r) => {
    const [path, mode] = r.split(':') as [string, 'value' | 'size' | undefined];
    return { path: path.split('.'), mode: mode ?? 'value' };
  });
  const read = buildKeyReader(specs);
  return (ctx: Record<string, unknown>) => {
    const leaves: unknown[] = [];
    const hash = read(ctx, leaves);
    return { hash, leaves };
  };
}

/** Whether two contexts get the same key. */
function sameKey(read: ReturnType<typeof reader>, a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const x = read(a);
  const y = read(b);
  expect(x.hash).toBeDefined();
  expect(y.hash).toBeDefined();
  const same = sameLeaves(x.leaves, y.leaves);
  if (same) expect(x.hash).toBe(y.hash); // equal keys must land in one bucket
  return same;
}

/** Values no two of which a policy may confuse. */
const DISTINCT: unknown[] = [
  0,
  -0,
  '0',
  false,
  null,
  undefined,
  NaN,
  1,
  '1',
  true,
  '',
  'a',
  'a:b',
  's1:a',
  'n1',
  '😀',
  [],
  {},
  [0],
  ['0'],
  [[]],
  [{}],
  { a: 1 },
  { a: '1' },
  { a: [1] },
  { constructor: 'x' },
  JSON.parse('{"__proto__": 1}'),
  JSON.parse('{"__proto__": {"a": 1}}'),
  { a: 1, b: 2 },
  { b: 2, a: 1 },
  [1, 2],
  [2, 1],
  [{ a: 1 }, { b: 2 }],
  [{ a: 1, b: 2 }],
  10n,
  -1n,
  new Date(0),
  new Date(1),
];

describe('encodeValue', () => {
  it('gives distinct values distinct encodings', () => {
    const seen = new Map<string, number>();
    DISTINCT.forEach((v, i) => {
      const e = encodeValue(v);
      expect(seen.get(e), `DISTINCT[${i}] encodes as ${e}`).toBeUndefined();
      seen.set(e, i);
    });
  });

  it('cannot be confused by numbers followed by keys (a number is delimited)', () => {
    // `{a: 1, <12-char key>: true}` against `{a: 11, <2-char key>: <8-char string>}`: without a
    // delimiter after the number, both encode as {1:an112:xys8:abcdefgt}.
    const a = { a: 1, 'xys8:abcdefg': true };
    const b = { a: 11, xy: 'abcdefgt' };
    expect(encodeValue(a)).not.toBe(encodeValue(b));
    expect(encodeValue({ a: 1n, '22:bb': 1 })).not.toBe(encodeValue({ a: 12n, '2:bb': 1 }));
    expect(encodeValue({ d: new Date(1), '22:bb': 1 })).not.toBe(encodeValue({ d: new Date(12), '2:bb': 1 }));
    expect(encodeValue([1.5, 2])).not.toBe(encodeValue([1, 0.52]));
  });

  it('encodes strings with separators and emoji unambiguously', () => {
    const strs = ['a', 'a}', 'a{', '1:a', 's1:a', ':', '', '\u0000', '😀', '\ud83d', '\ude00', 'a,b', '[1', ']'];
    const encs = new Set(strs.map(encodeValue));
    expect(encs.size).toBe(strs.length);
    expect(encodeValue(['a', 'b'])).not.toBe(encodeValue(['a,b']));
    expect(encodeValue({ 'a:': 'b' })).not.toBe(encodeValue({ a: ':b' }));
  });

  it('refuses values it cannot identify', () => {
    expect(() => encodeValue(() => 1)).toThrow();
    expect(() => encodeValue(Symbol('x'))).toThrow();
    expect(() => encodeValue(new Map())).toThrow();
    class Thing {}
    expect(() => encodeValue(new Thing())).toThrow();
  });
});

describe('buildKeyReader', () => {
  it('tells apart every pair of distinct values of a read field', () => {
    for (const mode of ['', '.x']) {
      const read = reader(`request.v${mode}`);
      for (let i = 0; i < DISTINCT.length; i++) {
        for (let j = 0; j < DISTINCT.length; j++) {
          const a = { request: { v: mode ? { x: DISTINCT[i] } : DISTINCT[i] } };
          const b = { request: { v: mode ? { x: DISTINCT[j] } : DISTINCT[j] } };
          expect(sameKey(read, a, b), `${i} vs ${j}`).toBe(i === j);
        }
      }
    }
  });

  it('tells apart whole values read inside lists and objects', () => {
    const read = reader('request.list');
    for (let i = 0; i < DISTINCT.length; i++) {
      for (let j = 0; j < DISTINCT.length; j++) {
        expect(sameKey(read, { request: { list: [DISTINCT[i]] } }, { request: { list: [DISTINCT[j]] } }), `${i} vs ${j}`).toBe(i === j);
        expect(sameKey(read, { request: { list: { k: DISTINCT[i] } } }, { request: { list: { k: DISTINCT[j] } } }), `${i} vs ${j}`).toBe(i === j);
      }
    }
  });

  it('ignores fields that are not read', () => {
    const read = reader('request.model', 'user.roles');
    expect(sameKey(read, { request: { model: 'a', id: 1 }, user: { roles: ['x'], name: 'n' } }, { request: { model: 'a', id: 2, extra: {} }, user: { roles: ['x'] }, metadata: { t: 1 } })).toBe(true);
    expect(sameKey(read, { request: { model: 'a' }, user: { roles: ['x'] } }, { request: { model: 'a' }, user: { roles: ['x', 'y'] } })).toBe(false);
  });

  it('tells apart a missing field, a missing parent and a parent of another kind', () => {
    const read = reader('request.a.b');
    const ctxs = [{}, { request: null }, { request: {} }, { request: { a: null } }, { request: { a: {} } }, { request: { a: { b: null } } }, { request: { a: [] } }, { request: { a: 'str' } }, { request: { a: 1 } }, { request: 'x' }];
    for (let i = 0; i < ctxs.length; i++) for (let j = 0; j < ctxs.length; j++) expect(sameKey(read, ctxs[i]!, ctxs[j]!), `${i} vs ${j}`).toBe(i === j);
  });

  it('reads only the size for size reads, in code points', () => {
    const read = reader('request.prompt:size');
    expect(sameKey(read, { request: { prompt: 'abcd' } }, { request: { prompt: 'wxyz' } })).toBe(true);
    expect(sameKey(read, { request: { prompt: '😀😀' } }, { request: { prompt: 'ab' } })).toBe(true);
    // '😀😀' is 4 UTF-16 units but 2 code points: not the size of 'abcd'.
    expect(sameKey(read, { request: { prompt: '😀😀' } }, { request: { prompt: 'abcd' } })).toBe(false);
    expect(sameKey(read, { request: { prompt: ['a', 'b'] } }, { request: { prompt: { x: 1, y: 2 } } })).toBe(true); // size 2 both
    expect(sameKey(read, { request: { prompt: 'ab' } }, { request: {} })).toBe(false);
    expect(sameKey(read, { request: { prompt: 1 } }, { request: { prompt: 2 } })).toBe(true); // size() fails alike
    expect(sameKey(read, { request: { prompt: 1 } }, { request: { prompt: true } })).toBe(false);
  });

  it('reads the selected fields of list elements for `*` paths', () => {
    const read = reader('request.tools:size', 'request.tools.*.type');
    expect(sameKey(read, { request: { tools: [{ type: 'a', body: 1 }] } }, { request: { tools: [{ type: 'a', body: 2 }] } })).toBe(true);
    expect(sameKey(read, { request: { tools: [{ type: 'a' }] } }, { request: { tools: [{ type: 'b' }] } })).toBe(false);
    expect(sameKey(read, { request: { tools: [{ type: 'a' }] } }, { request: { tools: [{ type: 'a' }, { type: 'a' }] } })).toBe(false);
    expect(sameKey(read, { request: { tools: [{ type: 'a' }] } }, { request: { tools: [{}] } })).toBe(false);
    // A map where a list was expected is iterated by key: read whole.
    expect(sameKey(read, { request: { tools: { type: 'a' } } }, { request: { tools: { type: 'b' } } })).toBe(false);
    expect(sameKey(read, { request: { tools: { k1: 1 } } }, { request: { tools: { k2: 1 } } })).toBe(false);
  });

  it('reads prototype-named fields as own properties only', () => {
    const read = reader('request.constructor', 'request.__proto__', 'request.toString');
    expect(sameKey(read, { request: {} }, { request: {} })).toBe(true);
    expect(sameKey(read, { request: {} }, { request: { constructor: 'x' } })).toBe(false);
    expect(sameKey(read, { request: {} }, { request: JSON.parse('{"__proto__": 1}') })).toBe(false);
    expect(sameKey(read, { request: { toString: 'a' } }, { request: { toString: 'b' } })).toBe(false);
    const own = reader('__proto__.x');
    expect(sameKey(own, {}, JSON.parse('{"__proto__": {"x": 1}}'))).toBe(false);
  });

  it('reads an object with an own `constructor` key or a null prototype whole', () => {
    const read = reader('request.a');
    const odd = { constructor: 1, a: 'x', other: 1 };
    expect(sameKey(read, { request: odd }, { request: { ...odd, other: 2 } })).toBe(false);
    const bare = Object.assign(Object.create(null) as object, { a: 1 });
    expect(sameKey(read, { request: bare }, { request: { a: 1 } })).toBe(false);
    expect(read({ request: bare }).hash).toBeDefined();
  });

  it('gives no key for values it cannot identify, or that are nested too deeply', () => {
    const read = reader('request.v');
    expect(read({ request: { v: () => 1 } }).hash).toBeUndefined();
    expect(read({ request: { v: [Symbol('s')] } }).hash).toBeUndefined();
    expect(read({ request: { v: new Map() } }).hash).toBeUndefined();
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(read({ request: { v: { deep } } }).hash).toBeUndefined();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(read({ request: { v: cyclic } }).hash).toBeUndefined();
  });

  it('finds string hash collisions and keeps them apart by their leaves', () => {
    const read = reader('request.model');
    // The hash samples a string's length and a few characters: these two collide.
    const a = read({ request: { model: 'gpt-4o-mini' } });
    const b = read({ request: { model: 'gpt-4X-mini' } });
    expect(a.hash).toBe(b.hash);
    expect(sameLeaves(a.leaves, b.leaves)).toBe(false);
  });

  it("empties and refills the caller's buffer", () => {
    const read = buildKeyReader([{ path: ['request', 'model'], mode: 'value' }]);
    const buf: unknown[] = ['stale', 1, 2, 3];
    read({ request: { model: 'm' } }, buf);
    expect(buf).not.toContain('stale');
    expect(buf).toContain('m');
  });
});
