// Function declarations: what the checker sees (parameter and result types)
// and what the compiler calls (the implementation), in one place.

import type { Activation } from '../activation.js';
import type { Type } from '../types.js';

// Implementations receive evaluated arguments (the receiver first for member
// functions) and throw CelError on failure.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Impl = (...args: any[]) => unknown;

export interface Overload {
  /** Stable id, e.g. `size_string`, `contains_string` (cel-go names where they exist). */
  readonly id: string;
  /** Parameter types; for member overloads the receiver is the first. */
  readonly params: readonly Type[];
  readonly result: Type;
  /** Called as `x.f(...)` rather than `f(x, ...)`. */
  readonly member: boolean;
  readonly impl: Impl;
  /**
   * Deterministic and free of side effects, so a call with constant arguments
   * is computed once at compile time. Default true.
   */
  readonly pure: boolean;
  /** The implementation takes the Activation as its first argument (for clocks, memoisation). */
  readonly activation: boolean;
}

export interface FunctionDecl {
  readonly name: string;
  readonly overloads: readonly Overload[];
  /** Free-form documentation used by `policy-engine functions` and the docs. */
  readonly doc?: string;
}

export interface OverloadOptions {
  readonly pure?: boolean;
  readonly activation?: boolean;
}

export function globalOverload(id: string, params: Type[], result: Type, impl: Impl, opts: OverloadOptions = {}): Overload {
  return { id, params, result, member: false, impl, pure: opts.pure ?? true, activation: opts.activation ?? false };
}

export function memberOverload(id: string, params: Type[], result: Type, impl: Impl, opts: OverloadOptions = {}): Overload {
  return { id, params, result, member: true, impl, pure: opts.pure ?? true, activation: opts.activation ?? false };
}

/** A registry of function declarations by name. Later registrations add overloads. */
export class FunctionRegistry {
  private readonly byName = new Map<string, { name: string; overloads: Overload[]; doc?: string }>();

  add(...decls: FunctionDecl[]): this {
    for (const d of decls) {
      let e = this.byName.get(d.name);
      if (!e) {
        e = { name: d.name, overloads: [], doc: d.doc };
        this.byName.set(d.name, e);
      }
      for (const o of d.overloads) {
        const i = e.overloads.findIndex((x) => x.id === o.id);
        if (i >= 0) e.overloads[i] = o;
        else e.overloads.push(o);
      }
    }
    return this;
  }

  get(name: string): FunctionDecl | undefined {
    return this.byName.get(name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  clone(): FunctionRegistry {
    const r = new FunctionRegistry();
    for (const d of this.byName.values()) r.add({ name: d.name, overloads: [...d.overloads], doc: d.doc });
    return r;
  }
}

export type { Activation };
