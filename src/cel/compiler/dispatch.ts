// Calling declared functions from compiled code: run-time argument guards
// and overload dispatch, specialised by arity so the common cases are a
// couple of direct calls.

import { Activation } from '../activation.js';
import { CelError, noSuchOverload } from '../errors.js';
import type { Overload } from '../library/overload.js';
import type { Type } from '../types.js';
import {
  CelDuration,
  CelMap,
  CelOptional,
  CelTimestamp,
  CelType,
  CelUint,
  isPlainObject,
  kindName,
} from '../values.js';

export type Evaluator = (a: Activation) => unknown;
type Guard = (v: unknown) => boolean;

const ANY: Guard = () => true;

/** A run-time check that a value fits a declared parameter type (shallow: list(int) checks list-ness). */
export function guardFor(t: Type): Guard {
  switch (t.kind) {
    case 'prim':
      switch (t.name) {
        case 'bool':
          return (v) => typeof v === 'boolean';
        case 'int':
          return (v) => typeof v === 'bigint';
        case 'uint':
          return (v) => v instanceof CelUint;
        case 'double':
          return (v) => typeof v === 'number';
        case 'string':
          return (v) => typeof v === 'string';
        case 'bytes':
          return (v) => v instanceof Uint8Array;
        case 'timestamp':
          return (v) => v instanceof CelTimestamp;
        case 'duration':
          return (v) => v instanceof CelDuration;
      }
      break;
    case 'null':
      return (v) => v === null;
    case 'list':
      return Array.isArray;
    case 'map':
    case 'object':
      return (v) => v instanceof CelMap || isPlainObject(v);
    case 'type':
      return (v) => v instanceof CelType;
    case 'abstract':
      if (t.name === 'optional_type') return (v) => v instanceof CelOptional;
      return ANY;
    default:
      return ANY;
  }
  return ANY;
}

interface Candidate {
  readonly o: Overload;
  readonly guards: readonly Guard[];
}

function candidates(overloads: readonly Overload[]): Candidate[] {
  return overloads.map((o) => ({ o, guards: o.params.map(guardFor) }));
}

function fail(name: string, args: unknown[]): never {
  throw noSuchOverload(name, ...args.map(kindName));
}

/** Builds the evaluator of a call whose overloads are `overloads` and arguments `args` (receiver first). */
export function dispatchCall(name: string, overloads: readonly Overload[], args: readonly Evaluator[]): Evaluator {
  if (overloads.length === 0) {
    return (a) => fail(name, args.map((x) => x(a)));
  }
  const cs = candidates(overloads);
  const needsAct = overloads.some((o) => o.activation);
  if (needsAct) return generic(name, cs, args);
  if (cs.length === 1) {
    const { o, guards } = cs[0]!;
    const f = o.impl;
    switch (args.length) {
      case 0:
        return () => f();
      case 1: {
        const [x] = args as [Evaluator];
        const [g] = guards as [Guard];
        if (g === ANY) return (a) => f(x(a));
        return (a) => {
          const v = x(a);
          if (!g(v)) fail(name, [v]);
          return f(v);
        };
      }
      case 2: {
        const [x, y] = args as [Evaluator, Evaluator];
        const [gx, gy] = guards as [Guard, Guard];
        return (a) => {
          const v = x(a);
          const w = y(a);
          if (!gx(v) || !gy(w)) fail(name, [v, w]);
          return f(v, w);
        };
      }
    }
  }
  if (args.length === 1) {
    const [x] = args as [Evaluator];
    return (a) => {
      const v = x(a);
      for (const c of cs) if (c.guards[0]!(v)) return c.o.impl(v);
      return fail(name, [v]);
    };
  }
  if (args.length === 2) {
    const [x, y] = args as [Evaluator, Evaluator];
    return (a) => {
      const v = x(a);
      const w = y(a);
      for (const c of cs) if (c.guards[0]!(v) && c.guards[1]!(w)) return c.o.impl(v, w);
      return fail(name, [v, w]);
    };
  }
  return generic(name, cs, args);
}

function generic(name: string, cs: Candidate[], args: readonly Evaluator[]): Evaluator {
  return (a) => {
    const vs = args.map((x) => x(a));
    for (const c of cs) {
      if (c.guards.every((g, i) => g(vs[i]))) return c.o.activation ? c.o.impl(a, ...vs) : c.o.impl(...vs);
    }
    return fail(name, vs);
  };
}

/** Calls the first overload whose guards accept constant arguments; used for constant folding. */
export function callConstant(overloads: readonly Overload[], values: unknown[], name: string): unknown {
  for (const c of candidates(overloads)) {
    // Folding at compile time: a function that memoizes in the activation gets a throwaway one.
    if (c.guards.every((g, i) => g(values[i]))) return c.o.activation ? c.o.impl(new Activation({}, 0), ...values) : c.o.impl(...values);
  }
  throw noSuchOverload(name, ...values.map(kindName));
}

export function isCelErrorLike(e: unknown): e is CelError {
  return e instanceof CelError;
}
