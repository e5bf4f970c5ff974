// CEL equality (`==`): heterogeneous, never an error. Numbers compare by
// mathematical value across int, uint and double (1 == 1u == 1.0); values of
// different kinds are simply unequal; lists and maps compare element-wise.

import {
  CelDuration,
  CelMap,
  CelOptional,
  CelTimestamp,
  CelType,
  CelUint,
  isPlainObject,
  ownValue,
} from '../values.js';

export function celEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return scalarEquals(a, b);
  // Containers are compared with an explicit work list rather than recursion:
  // context data is untrusted, and a list nested 100,000 deep (JSON.parse builds
  // one happily) must compare like any other value, not overflow the stack.
  const work: unknown[] = [];
  if (!shallowEquals(a, b, work)) return false;
  while (work.length > 0) {
    const y = work.pop();
    const x = work.pop();
    if (x !== y && !shallowEquals(x, y, work)) return false;
  }
  return true;
}

/** Equality when at least one side is not an object (CelUint is the one object that equals a primitive). */
function scalarEquals(a: unknown, b: unknown): boolean {
  switch (typeof a) {
    case 'number':
      // JS == between number and bigint compares mathematical values exactly.
      if (typeof b === 'bigint') return numEqualsInt(a, b);
      if (b instanceof CelUint) return numEqualsInt(a, b.value);
      return false;
    case 'bigint':
      if (typeof b === 'number') return numEqualsInt(b, a);
      if (b instanceof CelUint) return a === b.value;
      return false;
    case 'object':
      if (a instanceof CelUint) {
        if (typeof b === 'bigint') return a.value === b;
        if (typeof b === 'number') return numEqualsInt(b, a.value);
      }
      return false;
    default:
      return false;
  }
}

/** A double equals an int when the int, converted to double, equals it (CEL compares mixed numbers as doubles). */
function numEqualsInt(a: number, b: bigint): boolean {
  return a === Number(b);
}

/**
 * Compares a and b one level deep: false when they differ there; otherwise true,
 * with the pairs of elements (or map values, or optional contents) still to
 * compare pushed onto `work`, two entries per pair.
 */
function shallowEquals(a: unknown, b: unknown, work: unknown[]): boolean {
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return scalarEquals(a, b);
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) work.push(a[i], b[i]);
    return true;
  }
  if (a instanceof CelUint) return b instanceof CelUint && a.value === b.value;
  if (a instanceof Uint8Array) {
    if (!(b instanceof Uint8Array) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (a instanceof CelTimestamp) return b instanceof CelTimestamp && a.seconds === b.seconds && a.nanos === b.nanos;
  if (a instanceof CelDuration) return b instanceof CelDuration && a.seconds === b.seconds && a.nanos === b.nanos;
  if (a instanceof CelType) return b instanceof CelType && a.name === b.name;
  if (a instanceof CelOptional) {
    if (!(b instanceof CelOptional)) return false;
    if (a.value === undefined || b.value === undefined) return a.value === b.value;
    work.push(a.value, b.value);
    return true;
  }
  if (isMapLike(a) && isMapLike(b)) {
    if (mapSize(a) !== mapSize(b)) return false;
    for (const [k, v] of mapEntries(a)) {
      const w = mapGet(b, k);
      if (w === undefined) return false;
      work.push(v, w);
    }
    return true;
  }
  return false;
}

type MapLike = Record<string, unknown> | CelMap;

function isMapLike(v: object): v is MapLike {
  return v instanceof CelMap || isPlainObject(v);
}

/** Entries of a map, skipping undefined values (absent in CEL terms). */
export function mapEntries(m: MapLike): [unknown, unknown][] {
  if (m instanceof CelMap) return [...m];
  const out: [unknown, unknown][] = [];
  for (const k of Object.keys(m)) {
    const v = m[k];
    if (v !== undefined) out.push([k, v]);
  }
  return out;
}

export function mapSize(m: MapLike): number {
  if (m instanceof CelMap) return m.size;
  let n = 0;
  for (const k in m) if (Object.prototype.hasOwnProperty.call(m, k) && m[k] !== undefined) n++;
  return n;
}

/** Value under `key`, undefined when absent; numeric keys never match a plain (string-keyed) object. */
export function mapGet(m: MapLike, key: unknown): unknown {
  if (m instanceof CelMap) return m.get(key);
  return typeof key === 'string' ? ownValue(m, key) : undefined;
}
