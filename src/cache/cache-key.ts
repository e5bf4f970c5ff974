// Decision-cache keys: exactly what the policies read from the context
// (engine/read-paths.ts), captured as a flat list of "leaves" plus a 32-bit
// hash of them. Lookups hash into a bucket and confirm a hit by comparing
// leaves one by one, so a hash collision can never return a wrong decision,
// and no key string is ever built (concatenating and hashing a few hundred
// characters costs more than evaluating a small policy set).
//
// The leaf list is an unambiguous encoding: it is produced by code whose
// shape follows the read tree, every variable-length part is introduced by a
// marker symbol (which no context value can equal), and reading the leaves
// back with the same shape recovers every value the policies can observe.
//
// The reader is generated per policy set from fixed code shapes (see
// compiler/specialize.ts: each generated literal gets its own type feedback,
// so `ctx.request.model` is a monomorphic load). No policy text reaches the
// generated source: field names are passed in as arguments `k0, k1, ...`.

import { instantiate } from '../cel/compiler/specialize.js';
import { codePointLength } from '../cel/runtime/strings.js';
import { PROTOTYPE_KEYS } from '../cel/values.js';
import type { ReadSpec } from '../engine/read-paths.js';

/** Thrown (and caught inside the reader) for values the encoding cannot identify. */
const UNCACHEABLE = Symbol('uncacheable');

// Markers: symbols, so no context value can be mistaken for one.
const OBJ = Symbol('object');
const ARR = Symbol('list');
const ENC = Symbol('encoded');
const PRESENT = Symbol('present');
const ABSENT = Symbol('absent-field');
const KIND: Readonly<Record<string, symbol>> = {
  undefined: Symbol('absent'),
  string: Symbol('string'),
  number: Symbol('number'),
  boolean: Symbol('bool'),
  bigint: Symbol('int'),
  null: Symbol('null'),
};
const MARKER_HASH = new Map<symbol, number>([OBJ, ARR, ENC, ...Object.values(KIND)].map((s, i) => [s, 0x9e3779b1 * (i + 1)]));

/**
 * Full, unambiguous text encoding of a nested value (used for objects and lists read whole).
 * Every variable-length part is length-prefixed or terminated: numbers end with `;`, since
 * an object's next key starts with its length — without it `{a: 1, <12-char key>: ...}` and
 * `{a: 11, <2-char key>: ...}` could encode alike.
 */
export function encodeValue(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return `s${v.length}:${v}`;
    case 'number':
      return Object.is(v, -0) ? 'n-0;' : `n${v};`;
    case 'boolean':
      return v ? 't' : 'f';
    case 'undefined':
      return 'u';
    case 'bigint':
      return `i${v};`;
    case 'object': {
      if (v === null) return 'z';
      if (Array.isArray(v)) {
        let s = `[${v.length}`;
        for (let i = 0; i < v.length; i++) s += encodeValue(v[i]);
        return s + ']';
      }
      const p = Object.getPrototypeOf(v);
      if (p === Object.prototype || p === null) {
        let s = '{';
        for (const k in v as Record<string, unknown>) {
          if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
          s += `${k.length}:${k}${encodeValue((v as Record<string, unknown>)[k])}`;
        }
        return s + '}';
      }
      if (v instanceof Date) return `d${v.getTime()};`;
      if (v instanceof Uint8Array) return `b${v.length}:${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')}`;
      throw UNCACHEABLE;
    }
    default:
      throw UNCACHEABLE;
  }
}

/** 32-bit mixing step over one leaf. Cheap and good enough: a collision costs only a comparison. */
function mix(h: number, v: unknown): number {
  let x: number;
  switch (typeof v) {
    case 'string': {
      const n = v.length;
      x = n === 0 ? 7 : (n * 31 + v.charCodeAt(0) * 131 + v.charCodeAt(n >> 1) * 8191 + v.charCodeAt(n - 1)) | 0;
      break;
    }
    case 'number':
      x = Number.isInteger(v) ? v | 0 : (v * 1_000_003) | 0;
      break;
    case 'boolean':
      x = v ? 1231 : 1237;
      break;
    case 'symbol':
      x = v === ENC ? 0x3c6ef372 : v === ARR ? 0x1bbcdcbb : (MARKER_HASH.get(v) ?? 3);
      break;
    case 'undefined':
      x = 17;
      break;
    default:
      x = v === null ? 19 : 23;
  }
  return Math.imul(h ^ x, 0x01000193) | 0;
}

/** Pushes a value read whole: primitives as themselves, anything else as [ENC, text]. */
function pushValue(leaves: unknown[], v: unknown, h: number): number {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function' && typeof v !== 'symbol')) {
    leaves.push(v);
    return mix(h, v);
  }
  // Lists of primitives (roles, permissions) are common: keep them cheap.
  if (Array.isArray(v)) {
    leaves.push(ARR, v.length);
    h = mix(mix(h, ARR), v.length);
    for (let i = 0; i < v.length; i++) {
      const e = v[i];
      if (e !== null && typeof e === 'object') {
        const s = encodeValue(e);
        leaves.push(ENC, s);
        h = mix(mix(h, ENC), s);
      } else {
        if (typeof e === 'symbol' || typeof e === 'function') throw UNCACHEABLE;
        leaves.push(e);
        h = mix(h, e);
      }
    }
    return h;
  }
  const s = encodeValue(v);
  leaves.push(ENC, s);
  return mix(mix(h, ENC), s);
}

/**
 * What size() sees: a number (code points, elements or entries) — or, for
 * values size() rejects, just their kind (a symbol), since that alone fixes the error.
 */
function pushSize(leaves: unknown[], v: unknown, h: number): number {
  let n: number | undefined;
  if (typeof v === 'string') n = codePointLength(v);
  else if (Array.isArray(v) || v instanceof Uint8Array) n = v.length;
  else if (v !== null && typeof v === 'object') {
    const p = Object.getPrototypeOf(v);
    if (p === Object.prototype || p === null) {
      n = 0;
      for (const k in v as Record<string, unknown>) if (Object.prototype.hasOwnProperty.call(v, k) && (v as Record<string, unknown>)[k] !== undefined) n++;
    }
  }
  if (n !== undefined) {
    leaves.push(n);
    return Math.imul(h ^ (n + 0x5bd1e995), 16777619);
  }
  return pushNonObject(leaves, v, h);
}

/**
 * Where fields are read but the value is not a plain object: the reads fail
 * (or find nothing) in a way fixed by its kind; other objects go whole.
 */
function pushNonObject(leaves: unknown[], v: unknown, h: number): number {
  const k = v === null ? KIND.null : KIND[typeof v];
  if (k && !Array.isArray(v)) {
    leaves.push(k);
    return mix(h, k);
  }
  return pushValue(leaves, v, h);
}

function ownField(o: Record<string, unknown>, k: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined;
}

interface Trie {
  value: boolean;
  size: boolean;
  presence: boolean;
  readonly fields: Map<string, Trie>;
  star?: Trie;
}

function newTrie(): Trie {
  return { value: false, size: false, presence: false, fields: new Map() };
}

function buildTrie(reads: readonly ReadSpec[]): Trie {
  const root = newTrie();
  for (const r of reads) {
    let n = root;
    for (const seg of r.path) {
      if (seg === '*') n = n.star ??= newTrie();
      else {
        let c = n.fields.get(seg);
        if (!c) {
          c = newTrie();
          n.fields.set(seg, c);
        }
        n = c;
      }
    }
    if (r.mode === 'value') n.value = true;
    else if (r.mode === 'size') n.size = true;
    else n.presence = true;
  }
  return root;
}

/**
 * Fills `leaves` (emptied first) with the context's key and returns its hash,
 * or undefined when the context holds values the encoding cannot identify.
 */
export type KeyReader = (ctx: Readonly<Record<string, unknown>>, leaves: unknown[]) => number | undefined;

export function buildKeyReader(reads: readonly ReadSpec[]): KeyReader {
  const trie = buildTrie(reads);
  const names: string[] = [];
  const lines: string[] = [];
  let vars = 0;
  const emit = (s: string, depth: number): void => {
    lines.push('  '.repeat(depth + 2) + s);
  };
  const keyParam = (k: string): string => {
    names.push(k);
    return `k${names.length - 1}`;
  };
  // Emits code appending the leaves of `v` (a variable name) under trie node `n`.
  const gen = (n: Trie, v: string, depth: number): void => {
    if (n.value) {
      // Strings and numbers inline (the common leaves); everything else through V.
      emit(`if (typeof ${v} === 'string') { L.push(${v}); h = Math.imul(h ^ (${v}.length * 31 + (${v}.length ? ${v}.charCodeAt(0) * 131 + ${v}.charCodeAt(${v}.length - 1) : 7)), 16777619); }`, depth);
      emit(`else if (typeof ${v} === 'number') { L.push(${v}); h = Math.imul(h ^ ((${v} * 1000003) | 0), 16777619); }`, depth);
      // Lists of strings (roles, permissions) inline too; other elements go through V.
      const e = `e${++vars}`;
      emit(`else if (Array.isArray(${v})) { L.push(ARR, ${v}.length); h = Math.imul(h ^ (HARR + ${v}.length), 16777619);`, depth);
      emit(`  for (let i = 0; i < ${v}.length; i++) { const ${e} = ${v}[i]; if (typeof ${e} === 'string') { L.push(${e}); h = Math.imul(h ^ (${e}.length * 31 + (${e}.length ? ${e}.charCodeAt(0) * 131 + ${e}.charCodeAt(${e}.length - 1) : 7)), 16777619); } else h = V(L, ${e}, h); } }`, depth);
      emit(`else h = V(L, ${v}, h);`, depth);
      return;
    }
    if (n.presence) emit(`if (${v} === undefined) { L.push(ABSENT); h = Math.imul(h ^ 0x2545f491, 16777619); } else { L.push(PRESENT); h = Math.imul(h ^ 0x5851f42d, 16777619); }`, depth);
    if (n.size) emit(`h = Z(L, ${v}, h);`, depth);
    if (n.fields.size === 0 && !n.star) return;
    emit(`if (${v} !== null && typeof ${v} === 'object' && ${v}.constructor === Object) {`, depth);
    emit('L.push(OBJ); h = Math.imul(h ^ HOBJ, 16777619);', depth + 1);
    for (const [field, child] of n.fields) {
      const c = `v${++vars}`;
      const k = keyParam(field);
      emit(PROTOTYPE_KEYS.has(field) ? `const ${c} = O(${v}, ${k});` : `const ${c} = ${v}[${k}];`, depth + 1);
      gen(child, c, depth + 1);
    }
    // A map where list elements were expected: iteration goes over its keys, so it is read whole.
    if (n.star) emit(`h = V(L, ${v}, h);`, depth + 1);
    emit(`} else if (Array.isArray(${v})) {`, depth);
    emit(`L.push(ARR, ${v}.length); h = Math.imul(h ^ (HARR + ${v}.length), 16777619);`, depth + 1);
    if (n.star) {
      const e = `v${++vars}`;
      emit(`for (let i${vars} = 0; i${vars} < ${v}.length; i${vars}++) {`, depth + 1);
      emit(`const ${e} = ${v}[i${vars}];`, depth + 2);
      gen(n.star, e, depth + 2);
      emit('}', depth + 1);
    }
    emit('} else {', depth);
    emit(`h = N(L, ${v}, h);`, depth + 1);
    emit('}', depth);
  };
  for (const [name, child] of trie.fields) {
    const c = `v${++vars}`;
    const k = keyParam(name);
    emit(PROTOTYPE_KEYS.has(name) ? `const ${c} = O(ctx, ${k});` : `const ${c} = ctx[${k}];`, 0);
    gen(child, c, 0);
  }
  const body = [
    'return function readKey(ctx, L) {',
    '  L.length = 0;',
    '  try {',
    '    let h = 0x811c9dc5;',
    ...lines,
    '    return h >>> 0;',
    '  } catch (e) {',
    // A RangeError is the stack running out on data nested too deeply (or cyclic) to
    // encode: such a context is evaluated without the cache rather than failing.
    '    if (e === UNCACHEABLE || e instanceof RangeError) return undefined;',
    '    throw e;',
    '  }',
    '};',
  ].join('\n');
  const params = ['V', 'Z', 'N', 'O', 'OBJ', 'ARR', 'HOBJ', 'HARR', 'PRESENT', 'ABSENT', 'UNCACHEABLE', ...names.map((_, i) => `k${i}`)];
  return instantiate<KeyReader>(params, body, [pushValue, pushSize, pushNonObject, ownField, OBJ, ARR, MARKER_HASH.get(OBJ), MARKER_HASH.get(ARR), PRESENT, ABSENT, UNCACHEABLE, ...names]);
}

/** Leaf-by-leaf equality, as Object.is: NaN matches NaN, -0 does not match 0. */
export function sameLeaves(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x !== y) {
      if (x !== x && y !== y) continue; // both NaN
      return false;
    }
    if (x === 0 && 1 / (x as number) !== 1 / (y as number)) return false; // 0 vs -0
  }
  return true;
}
