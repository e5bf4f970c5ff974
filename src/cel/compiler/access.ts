// Field selection, presence tests and context-variable reads.
//
// The hot path of nearly every policy is `request.model`, `user.roles`,
// `user.budget.monthly_spent`: reads of JSON objects. Chains of selections
// rooted at a context variable are fused into one closure with the keys
// unrolled, and each step takes a fast path for plain objects whose key is
// not an Object.prototype name (decided at compile time, so `x.constructor`
// or `x.__proto__` are still read safely as own properties only).

import type { Activation } from '../activation.js';
import { CelError, noSuchKey, noSuchOverload } from '../errors.js';
import { mapGet } from '../runtime/equality.js';
import { CelMap, CelOptional, PROTOTYPE_KEYS, isPlainObject, kindName, ownValue } from '../values.js';
import type { Evaluator } from './dispatch.js';
import { instantiate } from './specialize.js';

/** Reads field `f` of a map-like value; throws "no such key" when absent. */
export function selectSlow(o: unknown, f: string): unknown {
  if (o !== null && typeof o === 'object') {
    if (isPlainObject(o)) {
      const v = ownValue(o, f);
      if (v === undefined) throw noSuchKey(f);
      return v;
    }
    if (o instanceof CelMap) {
      const v = o.get(f);
      if (v === undefined) throw noSuchKey(f);
      return v;
    }
    if (o instanceof CelOptional) return optionalSelect(o, f);
  }
  throw new CelError(`cannot select field '${f}' from ${kindName(o)}`);
}

/** `o.?f` — and `o.f` when o is an optional (optional chaining). */
export function optionalSelect(o: unknown, f: string): CelOptional {
  if (o instanceof CelOptional) {
    if (o.value === undefined) return CelOptional.NONE;
    o = o.value;
  }
  if (isPlainObject(o)) {
    const v = ownValue(o, f);
    return v === undefined ? CelOptional.NONE : new CelOptional(v);
  }
  if (o instanceof CelMap) {
    const v = o.get(f);
    return v === undefined ? CelOptional.NONE : new CelOptional(v);
  }
  throw new CelError(`cannot select field '${f}' from ${kindName(o)}`);
}

/** `has(o.f)`. */
export function hasField(o: unknown, f: string): boolean {
  if (isPlainObject(o)) return ownValue(o, f) !== undefined;
  if (o instanceof CelMap) return o.has(f);
  if (o instanceof CelOptional) return o.value !== undefined && hasField(o.value, f);
  throw noSuchOverload('has', kindName(o));
}

/** A closure reading field `f` of whatever `operand` yields. */
export function selectField(operand: Evaluator, f: string): Evaluator {
  if (PROTOTYPE_KEYS.has(f)) return (a) => selectSlow(operand(a), f);
  return (a) => {
    const o = operand(a) as Record<string, unknown>;
    // `o.constructor === Object` holds for JSON objects; anything else (CelMap,
    // optionals, null-prototype records, objects with an own 'constructor' key) takes the slow path.
    if (o !== null && typeof o === 'object' && o.constructor === Object) {
      const v = o[f];
      if (v !== undefined) return v;
      throw noSuchKey(f);
    }
    return selectSlow(o, f);
  };
}

/** Reads field `f` of a value (any key, prototype names included). */
export function selectValue(o: unknown, f: string): unknown {
  return PROTOTYPE_KEYS.has(f) ? selectSlow(o, f) : step(o, f);
}

function step(o: unknown, f: string): unknown {
  if (o !== null && typeof o === 'object' && (o as { constructor?: unknown }).constructor === Object) {
    const v = (o as Record<string, unknown>)[f];
    if (v !== undefined) return v;
    throw noSuchKey(f);
  }
  return selectSlow(o, f);
}

/** Reads a top-level context variable. */
export function readVar(vars: Readonly<Record<string, unknown>>, name: string): unknown {
  const v = PROTOTYPE_KEYS.has(name) ? ownValue(vars as Record<string, unknown>, name) : vars[name];
  if (v === undefined) throw new CelError(`no such key: ${name} (the evaluation context has no '${name}')`);
  return v;
}

/** Stands in for absent top-level variables when they read as empty maps (see EnvOptions.absentVariables). */
const EMPTY_MAP: Readonly<Record<string, unknown>> = Object.freeze({});

/** readVar, but an absent variable is an empty map. */
export function readVarOrEmpty(vars: Readonly<Record<string, unknown>>, name: string): unknown {
  const v = PROTOTYPE_KEYS.has(name) ? ownValue(vars as Record<string, unknown>, name) : vars[name];
  return v === undefined ? EMPTY_MAP : v;
}

/** A fused read of `root.k1.k2...` from the context. */
export function readPath(root: string, keys: readonly string[], absentAsEmpty = false, specialize = true): Evaluator {
  const general = readPathGeneral(root, keys, absentAsEmpty);
  if (!specialize || PROTOTYPE_KEYS.has(root) || keys.some((k) => PROTOTYPE_KEYS.has(k)) || keys.length > 4) return general;
  // Fast path for JSON objects, as its own literal (see specialize.ts); any
  // other shape — absent keys, CelMaps, optionals — falls back to `general`,
  // which produces the right value or error.
  const params = ['general', 'r', ...keys.map((_, i) => `k${i}`)];
  let body = 'return function (a) {\n  let o = a.vars[r];\n  if (o === undefined) return general(a);\n';
  keys.forEach((_, i) => {
    body += `  if (o === null || typeof o !== 'object' || o.constructor !== Object) return general(a);\n  o = o[k${i}];\n  if (o === undefined) return general(a);\n`;
  });
  body += '  return o;\n};';
  return instantiate<Evaluator>(params, body, [general, root, ...keys]);
}

function readPathGeneral(root: string, keys: readonly string[], absentAsEmpty: boolean): Evaluator {
  const rootRead = absentAsEmpty ? (a: Activation): unknown => readVarOrEmpty(a.vars, root) : (a: Activation): unknown => readVar(a.vars, root);
  if (keys.some((k) => PROTOTYPE_KEYS.has(k))) {
    return (a) => {
      let o = rootRead(a);
      for (const k of keys) o = selectSlow(o, k);
      return o;
    };
  }
  return (a) => {
    let o = rootRead(a);
    for (const k of keys) o = step(o, k);
    return o;
  };
}

/** Entries to iterate for a comprehension over `range`: list elements or map keys. */
export function iterationKeys(range: unknown, macro: string): readonly unknown[] {
  if (Array.isArray(range)) return range;
  if (range instanceof CelMap) return range.keys();
  if (isPlainObject(range)) return Object.keys(range).filter((k) => range[k] !== undefined);
  throw new CelError(`${macro}() needs a list or a map, got ${kindName(range)}`);
}

/** Pairs for two-variable comprehensions: (index, element) for lists, (key, value) for maps. */
export function iterationPairs(range: unknown, macro: string): readonly (readonly [unknown, unknown])[] {
  if (Array.isArray(range)) return range.map((v, i) => [BigInt(i), v] as const);
  if (range instanceof CelMap) return [...range];
  if (isPlainObject(range)) {
    const out: [unknown, unknown][] = [];
    for (const k of Object.keys(range)) {
      const v = range[k];
      if (v !== undefined) out.push([k, v]);
    }
    return out;
  }
  throw new CelError(`${macro}() needs a list or a map, got ${kindName(range)}`);
}

export { mapGet };
