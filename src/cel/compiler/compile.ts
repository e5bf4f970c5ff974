// Compiles a checked CEL AST into a tree of JS closures.
//
// Everything that can be decided once is decided here: names are resolved to
// context paths or slot indexes, overloads are narrowed by the checker's
// types, constant sub-expressions are computed, literal regexes are compiled
// and literal lists become Sets. The closures then do only the work that
// depends on the request. No source text is ever turned into JS code.

import { Activation, Failed, UNSET } from '../activation.js';
import type { Expr } from '../ast.js';
import type { CheckResult, Reference } from '../checker.js';
import { CelError, type CelIssue } from '../errors.js';
import { sizeOf } from '../library/core.js';
import type { FunctionRegistry, Overload } from '../library/overload.js';
import { compileRegex } from '../regex.js';
import { add, divide, modulo, multiply, negate, subtract } from '../runtime/arithmetic.js';
import { TYPES, CelMap, CelOptional, CelTimestamp, CelType, CelUint, kindName } from '../values.js';
import type { Type } from '../types.js';
import { hasField, optionalSelect, readPath, readVar, selectField, selectValue } from './access.js';
import { callConstant, dispatchCall, type Evaluator } from './dispatch.js';
import { compileMacro } from './macros.js';
import { and, conditional, equals, index, membership, not, optionalIndex, or, relation } from './operators.js';

/** Slots shared by the expressions of one unit (a policy): its let bindings and every local. */
export class SlotAllocator {
  count = 0;
  readonly lazy: number[] = [];
  /** let-binding name → slot and (once compiled) initialiser. */
  readonly lets = new Map<string, { slot: number; init?: Evaluator }>();

  allocate(lazy = false): number {
    const i = this.count++;
    if (lazy) this.lazy.push(i);
    return i;
  }

  newActivation(vars: Readonly<Record<string, unknown>>, now?: CelTimestamp): Activation {
    return new Activation(vars, this.count, this.lazy, now);
  }
}

export interface CompileSettings {
  readonly functions: FunctionRegistry;
  readonly numericPromotion: boolean;
  /** Record every node's value in Activation.trace (for explanations). */
  readonly traced: boolean;
  /** A declared variable absent from the context reads as an empty map instead of an error. */
  readonly absentVariablesAsEmpty?: boolean;
}

/**
 * Each specialised path read compiles a small function (specialize.ts); past
 * this many in one expression, generated or hostile ones with thousands of
 * reads use the shared closures instead, so compile time stays linear and small.
 */
const MAX_SPECIALIZED_READS = 256;

interface Compiled {
  readonly ev: Evaluator;
  readonly constant: boolean;
  readonly value?: unknown;
}

const constant = (value: unknown): Compiled => ({ ev: () => value, constant: true, value });
const dynamic = (ev: Evaluator): Compiled => ({ ev, constant: false });

export interface CompileOutput {
  readonly evaluator: Evaluator;
  /** Traced programs record node `id` under `traceBase + id` (unique across expressions sharing an activation). */
  readonly traceBase: number;
  /** Problems found while compiling (invalid literal regexes, unsupported constructs). */
  readonly issues: readonly CelIssue[];
  /** False when the expression calls an impure function (now()): its value can change between evaluations. */
  readonly deterministic: boolean;
}

/** Node ids restart at 1 in every expression; trace keys are offset per expression so let bindings and conditions don't collide. */
let traceSerial = 0;
const TRACE_STRIDE = 1 << 20;

export function compileChecked(expr: Expr, checked: CheckResult, slots: SlotAllocator, settings: CompileSettings): CompileOutput {
  const traceBase = settings.traced ? (traceSerial = (traceSerial + 1) % 1_000_000) * TRACE_STRIDE : 0;
  const c = new ExprCompiler(checked.refs, slots, settings, traceBase);
  const out = c.compile(expr);
  return { evaluator: out.ev, issues: c.issues, deterministic: c.deterministic, traceBase };
}

/** Reads a lazily computed slot (let binding, cel.block entry), computing it on first use. */
export function lazySlot(slot: number, init: Evaluator): Evaluator {
  return (a) => {
    let v = a.slots[slot];
    if (v === UNSET) {
      try {
        v = init(a);
      } catch (e) {
        v = new Failed(e);
      }
      a.slots[slot] = v;
    }
    if (v instanceof Failed) throw v.error;
    return v;
  };
}

class ExprCompiler {
  readonly issues: CelIssue[] = [];
  deterministic = true;
  /** Path reads compiled as specialised functions so far. */
  private specialized = 0;
  /** Local names in scope → slot, innermost last. */
  private readonly scopes: Map<string, { slot: number; lazy?: Evaluator }>[] = [];

  constructor(
    private readonly refs: ReadonlyMap<number, Reference>,
    private readonly slots: SlotAllocator,
    private readonly settings: CompileSettings,
    private readonly traceBase: number,
  ) {}

  compile(e: Expr): Compiled {
    const c = this.node(e);
    if (!this.settings.traced) return c;
    const id = this.traceBase + e.id;
    const inner = c.ev;
    return {
      ...c,
      ev: (a) => {
        try {
          const v = inner(a);
          a.trace?.set(id, v);
          return v;
        } catch (err) {
          a.trace?.set(id, err instanceof CelError ? err : new CelError(String(err)));
          throw err;
        }
      },
    };
  }

  private issue(e: { start: number; end: number }, code: string, message: string): void {
    this.issues.push({ code, message, start: e.start, end: e.end });
  }

  private local(name: string): { slot: number; lazy?: Evaluator } | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const s = this.scopes[i]!.get(name);
      if (s) return s;
    }
    return undefined;
  }

  private node(e: Expr): Compiled {
    switch (e.kind) {
      case 'const':
        return constant(e.value);
      case 'ident':
        return this.ident(e.name, e.id, e);
      case 'select':
        return this.select(e);
      case 'call':
        return this.call(e);
      case 'list':
        return this.list(e);
      case 'map':
        return this.map(e);
      case 'struct':
        this.issue(e, 'unsupported', `message construction '${e.typeName}{...}' is not supported`);
        return dynamic(() => {
          throw new CelError(`message construction '${e.typeName}{...}' is not supported`);
        });
      case 'macro': {
        const range = this.compile(e.range).ev;
        const vars = new Map<string, { slot: number }>();
        const slotIds = e.vars.map((v) => {
          const s = this.slots.allocate();
          vars.set(v, { slot: s });
          return s;
        });
        this.scopes.push(vars);
        try {
          const filter = e.filter ? this.compile(e.filter).ev : undefined;
          const step = this.compile(e.step).ev;
          return dynamic(compileMacro({ macro: e.macro, range, slots: slotIds, filter, step }));
        } finally {
          this.scopes.pop();
        }
      }
      case 'bind': {
        const init = this.compile(e.init).ev;
        const slot = this.slots.allocate();
        this.scopes.push(new Map([[e.name, { slot }]]));
        try {
          const body = this.compile(e.body).ev;
          return dynamic((a) => {
            a.slots[slot] = init(a);
            return body(a);
          });
        } finally {
          this.scopes.pop();
        }
      }
      case 'optmap': {
        const target = this.compile(e.target).ev;
        const slot = this.slots.allocate();
        this.scopes.push(new Map([[e.name, { slot }]]));
        try {
          const body = this.compile(e.body).ev;
          const flat = e.flat;
          return dynamic((a) => {
            const o = target(a);
            if (!(o instanceof CelOptional)) throw new CelError(`${flat ? 'optFlatMap' : 'optMap'}() needs an optional, got ${kindName(o)}`);
            if (o.value === undefined) return CelOptional.NONE;
            a.slots[slot] = o.value;
            const r = body(a);
            if (!flat) return new CelOptional(r);
            if (!(r instanceof CelOptional)) throw new CelError(`optFlatMap() must return an optional, got ${kindName(r)}`);
            return r;
          });
        } finally {
          this.scopes.pop();
        }
      }
      case 'block': {
        const scope = new Map<string, { slot: number; lazy?: Evaluator }>();
        this.scopes.push(scope);
        try {
          const slotIds: number[] = [];
          e.slots.forEach((s, i) => {
            const slot = this.slots.allocate();
            const init = this.compile(s).ev;
            slotIds.push(slot);
            scope.set(`@index${i}`, { slot, lazy: lazySlot(slot, init) });
          });
          const result = this.compile(e.result).ev;
          return dynamic((a) => {
            for (const s of slotIds) a.slots[s] = UNSET;
            return result(a);
          });
        } finally {
          this.scopes.pop();
        }
      }
      default:
        return e satisfies never;
    }
  }

  private ident(name: string, id: number, at?: { start: number; end: number }): Compiled {
    const l = this.local(name);
    if (l) {
      if (l.lazy) return dynamic(l.lazy);
      const slot = l.slot;
      return dynamic((a) => a.slots[slot]);
    }
    const ref = this.refs.get(id);
    if (ref?.kind === 'type') return constant(typeValue(ref.type));
    if (ref?.kind === 'var') return this.varPath(ref.name, [], at);
    const bare = name.startsWith('.') ? name.slice(1) : name;
    if (name.startsWith('@')) return dynamic(() => { throw new CelError(`undeclared reference to '${name}'`); });
    return dynamic((a) => readVar(a.vars, bare));
  }

  /** A context variable (or let binding) followed by field selections. */
  private varPath(name: string, keys: string[], at?: { start: number; end: number }): Compiled {
    const letB = this.slots.lets.get(name);
    if (letB) {
      if (!letB.init) {
        if (at) this.issue(at, 'let-order', `'${name}' is used before it is defined: a let binding may only use the bindings listed above it`);
        return dynamic(() => {
          throw new CelError(`'${name}' is used before it is defined`);
        });
      }
      let ev = lazySlot(letB.slot, letB.init);
      for (const k of keys) ev = selectField(ev, k);
      return dynamic(ev);
    }
    return dynamic(readPath(name, keys, this.settings.absentVariablesAsEmpty, this.specialized++ < MAX_SPECIALIZED_READS));
  }

  private select(e: Expr & { kind: 'select' }): Compiled {
    const ref = this.refs.get(e.id);
    if (ref?.kind === 'type') return constant(typeValue(ref.type));
    if (ref?.kind === 'var') return this.varPath(ref.name, [], e);
    if (e.testOnly) {
      const o = this.compile(e.operand);
      const f = e.field;
      return this.fold([o], (v) => hasField(v, f), true);
    }
    if (e.optional) {
      const o = this.compile(e.operand);
      const f = e.field;
      return this.fold([o], (v) => optionalSelect(v, f), true);
    }
    // Fuse `root.a.b.c` into one path read when the chain starts at a context variable.
    const keys: string[] = [e.field];
    let x: Expr = e.operand;
    while (x.kind === 'select' && !x.testOnly && !x.optional && !this.refs.has(x.id)) {
      keys.unshift(x.field);
      x = x.operand;
    }
    const rootRef = this.refs.get(x.id);
    const isRootVar =
      !this.settings.traced &&
      ((x.kind === 'ident' && !this.local(x.name) && (rootRef === undefined || rootRef.kind === 'var')) ||
        (x.kind === 'select' && rootRef?.kind === 'var'));
    if (isRootVar && !(x.kind === 'ident' && x.name.startsWith('@'))) {
      const name = rootRef?.kind === 'var' ? rootRef.name : (x as { name: string }).name.replace(/^\./, '');
      return this.varPath(name, keys, e);
    }
    const o = this.compile(e.operand);
    const f = e.field;
    if (o.constant) return this.fold([o], (v) => selectValue(v, f), true);
    return dynamic(selectField(o.ev, f));
  }

  /** Computes at compile time when every input is constant; errors stay run-time errors. */
  private fold(parts: Compiled[], f: (...vs: unknown[]) => unknown, pure: boolean): Compiled {
    if (pure && parts.every((p) => p.constant)) {
      try {
        return constant(f(...parts.map((p) => p.value)));
      } catch (err) {
        if (!(err instanceof CelError)) throw err;
        return dynamic(() => {
          throw err;
        });
      }
    }
    const evs = parts.map((p) => p.ev);
    switch (evs.length) {
      case 1: {
        const [x] = evs as [Evaluator];
        return dynamic((a) => f(x(a)));
      }
      case 2: {
        const [x, y] = evs as [Evaluator, Evaluator];
        return dynamic((a) => f(x(a), y(a)));
      }
      default:
        return dynamic((a) => f(...evs.map((x) => x(a))));
    }
  }

  private list(e: Expr & { kind: 'list' }): Compiled {
    const parts = e.elements.map((x) => this.compile(x));
    const opt = new Set(e.optionalIndices);
    const build = (vs: unknown[]): unknown[] => {
      if (opt.size === 0) return vs;
      const out: unknown[] = [];
      vs.forEach((v, i) => {
        if (!opt.has(i)) out.push(v);
        else if (!(v instanceof CelOptional)) throw new CelError(`optional list entry needs an optional value, got ${kindName(v)}`);
        else if (v.value !== undefined) out.push(v.value);
      });
      return out;
    };
    if (parts.every((p) => p.constant)) {
      try {
        return constant(Object.freeze(build(parts.map((p) => p.value))));
      } catch (err) {
        if (!(err instanceof CelError)) throw err;
        return dynamic(() => {
          throw err;
        });
      }
    }
    const evs = parts.map((p) => p.ev);
    return dynamic((a) => build(evs.map((x) => x(a))));
  }

  private map(e: Expr & { kind: 'map' }): Compiled {
    const entries = e.entries.map((en) => ({ k: this.compile(en.key), v: this.compile(en.value), optional: en.optional }));
    const build = (kvs: [unknown, unknown, boolean][]): CelMap => {
      const m = new CelMap();
      for (const [k, v, optional] of kvs) {
        if (!(typeof k === 'string' || typeof k === 'bigint' || typeof k === 'boolean' || k instanceof CelUint)) {
          throw new CelError(`unsupported map key type: ${kindName(k)} (keys must be string, int, uint or bool)`);
        }
        let val = v;
        if (optional) {
          if (!(v instanceof CelOptional)) throw new CelError(`optional map entry needs an optional value, got ${kindName(v)}`);
          if (v.value === undefined) continue;
          val = v.value;
        }
        if (!m.set(k, val)) throw new CelError(`duplicate map key: ${String(k)}`);
      }
      return m;
    };
    if (entries.every((x) => x.k.constant && x.v.constant)) {
      try {
        return constant(build(entries.map((x) => [x.k.value, x.v.value, x.optional])));
      } catch (err) {
        if (!(err instanceof CelError)) throw err;
        return dynamic(() => {
          throw err;
        });
      }
    }
    return dynamic((a) => build(entries.map((x) => [x.k.ev(a), x.v.ev(a), x.optional])));
  }

  private call(e: Expr & { kind: 'call' }): Compiled {
    const ref = this.refs.get(e.id);
    const callRef = ref?.kind === 'call' ? ref : undefined;
    // Operators keep their own name (the checker files `_[?_]` under `_[_]`'s overloads).
    const name = e.fn.startsWith('_') || e.fn.startsWith('@') || e.fn.startsWith('!') || e.fn.startsWith('-') ? e.fn : callRef?.name ?? (e.fn.startsWith('.') ? e.fn.slice(1) : e.fn);
    // A namespaced function written as a member call (optional.of(x)): the target is the namespace.
    const namespaced = callRef !== undefined && callRef.global && e.target !== undefined;
    const argExprs = namespaced || !e.target ? e.args : [e.target, ...e.args];

    switch (name) {
      case '_&&_':
      case '_||_': {
        const [l, r] = argExprs.map((x) => this.compile(x)) as [Compiled, Compiled];
        const ev = name === '_&&_' ? and(l.ev, r.ev) : or(l.ev, r.ev);
        return this.foldEv([l, r], ev);
      }
      case '!_': {
        const x = this.compile(argExprs[0]!);
        return this.foldEv([x], not(x.ev));
      }
      case '_?_:_': {
        const [c, t, f] = argExprs.map((x) => this.compile(x)) as [Compiled, Compiled, Compiled];
        if (c.constant && (c.value === true || c.value === false)) return c.value ? t : f;
        return dynamic(conditional(c.ev, t.ev, f.ev));
      }
      case '_==_':
      case '_!=_': {
        const [l, r] = argExprs.map((x) => this.compile(x)) as [Compiled, Compiled];
        const k = r.constant ? { value: r.value, side: 'r' as const } : l.constant ? { value: l.value, side: 'l' as const } : undefined;
        return this.foldEv([l, r], equals(l.ev, r.ev, name === '_!=_', k));
      }
      case '_<_':
      case '_<=_':
      case '_>_':
      case '_>=_': {
        const [l, r] = argExprs.map((x) => this.compile(x)) as [Compiled, Compiled];
        return this.foldEv([l, r], relation(name, l.ev, r.ev, r.constant ? r.value : undefined));
      }
      case '@in': {
        const [x, c] = argExprs.map((y) => this.compile(y)) as [Compiled, Compiled];
        const list = c.constant && Array.isArray(c.value) ? (c.value as unknown[]) : undefined;
        return this.foldEv([x, c], membership(x.ev, c.ev, list));
      }
      case '_[_]': {
        const [c, i] = argExprs.map((y) => this.compile(y)) as [Compiled, Compiled];
        return this.foldEv([c, i], index(c.ev, i.ev));
      }
      case '_[?_]': {
        const [c, i] = argExprs.map((y) => this.compile(y)) as [Compiled, Compiled];
        return this.fold([c, i], optionalIndex, true);
      }
      case '_+_':
      case '_-_':
      case '_*_':
      case '_/_': {
        const p = this.settings.numericPromotion;
        const f = name === '_+_' ? add : name === '_-_' ? subtract : name === '_*_' ? multiply : divide;
        return this.fold(argExprs.map((x) => this.compile(x)), (x, y) => f(x, y, p), true);
      }
      case '_%_':
        return this.fold(argExprs.map((x) => this.compile(x)), modulo, true);
      case '-_':
        return this.fold(argExprs.map((x) => this.compile(x)), negate, true);
      case 'size':
        if (argExprs.length === 1) return this.fold([this.compile(argExprs[0]!)], sizeOf, true);
        break;
      case 'matches':
        if (argExprs.length === 2) return this.matches(e, argExprs);
        break;
      case 'or':
      case 'orValue':
        if (!namespaced && e.target && argExprs.length === 2 && callRef?.overloads.every((o) => o.id.startsWith('optional_'))) {
          return this.optionalOr(name, argExprs);
        }
        break;
    }
    return this.generic(name, callRef?.overloads, argExprs, callRef?.global ?? !e.target);
  }

  private foldEv(parts: Compiled[], ev: Evaluator): Compiled {
    if (parts.every((p) => p.constant)) {
      try {
        return constant(ev(undefined as never));
      } catch (err) {
        if (!(err instanceof CelError)) throw err;
        return dynamic(() => {
          throw err;
        });
      }
    }
    return dynamic(ev);
  }

  private matches(e: Expr & { kind: 'call' }, argExprs: readonly Expr[]): Compiled {
    const [s, p] = argExprs.map((x) => this.compile(x)) as [Compiled, Compiled];
    if (p.constant && typeof p.value === 'string') {
      let re;
      try {
        re = compileRegex(p.value);
      } catch (err) {
        const msg = err instanceof CelError ? err.message : String(err);
        this.issue(argExprs[1]!, 'invalid-regex', msg);
        return dynamic(() => {
          throw new CelError(msg);
        });
      }
      const r = re;
      return this.fold(
        [s],
        (v) => {
          if (typeof v !== 'string') throw new CelError(`matches() needs a string, got ${kindName(v)}`);
          return r.test(v);
        },
        true,
      );
    }
    const overloads = this.settings.functions.get('matches')!.overloads.filter((o) => o.member === !!e.target || o.id === 'matches');
    return this.fold([s, p], (v, pat) => callConstant(overloads, [v, pat], 'matches'), true);
  }

  /** `opt.or(other)` / `opt.orValue(v)`: the argument is evaluated only when opt is empty. */
  private optionalOr(name: string, argExprs: readonly Expr[]): Compiled {
    const [o, alt] = argExprs.map((x) => this.compile(x)) as [Compiled, Compiled];
    const isOr = name === 'or';
    return dynamic((a) => {
      const v = o.ev(a);
      if (!(v instanceof CelOptional)) throw new CelError(`${name}() needs an optional receiver, got ${kindName(v)}`);
      if (v.value !== undefined) return isOr ? v : v.value;
      const w = alt.ev(a);
      if (isOr && !(w instanceof CelOptional)) throw new CelError(`or() needs an optional argument, got ${kindName(w)}`);
      return w;
    });
  }

  private generic(name: string, overloads: readonly Overload[] | undefined, argExprs: readonly Expr[], global: boolean): Compiled {
    const decl = this.settings.functions.get(name);
    const os =
      overloads ??
      decl?.overloads.filter((o) => o.member === !global && o.params.length === argExprs.length) ??
      [];
    const args = argExprs.map((x) => this.compile(x));
    if (!decl) {
      return dynamic(() => {
        throw new CelError(`undeclared function '${name}'`);
      });
    }
    // An overload that takes the activation only to memoize is still pure (its result depends on its arguments).
    const pure = os.every((o) => o.pure);
    if (!pure) this.deterministic = false;
    const ev = dispatchCall(name, os, args.map((a) => a.ev));
    if (pure && args.every((a) => a.constant) && os.length > 0) {
      try {
        return constant(callConstant(os, args.map((a) => a.value), name));
      } catch (err) {
        if (!(err instanceof CelError)) throw err;
        return dynamic(() => {
          throw err;
        });
      }
    }
    return dynamic(ev);
  }
}

/** The run-time value of a type name used as an expression. */
function typeValue(t: Type): CelType {
  switch (t.kind) {
    case 'prim':
      return t.name === 'timestamp' ? TYPES.timestamp : t.name === 'duration' ? TYPES.duration : TYPES[t.name];
    case 'null':
      return TYPES.null_type;
    case 'list':
      return TYPES.list;
    case 'map':
      return TYPES.map;
    case 'type':
      return TYPES.type;
    case 'abstract':
      return new CelType(t.name);
    default:
      return TYPES.dyn;
  }
}

