// The CEL type checker: resolves names, picks the overloads each call can
// use, infers a type for every node and reports mistakes with positions.
//
// It always runs. Its references (which variable, which function, which
// overloads) feed the compiler; its issues become compile errors unless the
// caller opts out (conformance cases marked disableCheck).

import type { CallExpr, Expr, MacroExpr } from './ast.js';
import type { CelIssue } from './errors.js';
import { displayName } from './errors.js';
import type { FunctionRegistry, Overload } from './library/overload.js';
import {
  Substitution,
  T,
  TYPE_NAMES,
  type Type,
  freshen,
  isAssignable,
  isPrim,
  mostGeneral,
  typeToString,
} from './types.js';

export type Reference =
  /** A context variable; `name` may be dotted when a variable is declared with a dotted name. */
  | { readonly kind: 'var'; readonly name: string }
  /** A type used as a value (`int`, `google.protobuf.Timestamp`). */
  | { readonly kind: 'type'; readonly type: Type }
  /** A call: the function's full name and the overloads that may apply, in declaration order. */
  | { readonly kind: 'call'; readonly name: string; readonly global: boolean; readonly overloads: readonly Overload[] };

export interface CheckResult {
  readonly types: ReadonlyMap<number, Type>;
  readonly refs: ReadonlyMap<number, Reference>;
  readonly issues: readonly CelIssue[];
  readonly type: Type;
}

export interface CheckEnv {
  /** Declared variables by (possibly dotted) name. */
  readonly variables: ReadonlyMap<string, Type>;
  readonly functions: FunctionRegistry;
  /** When true, an undeclared top-level name is typed dyn instead of reported. */
  readonly allowUndeclared?: boolean;
}

export function check(expr: Expr, env: CheckEnv): CheckResult {
  const c = new Checker(env);
  const t = c.check(expr);
  const resolved = new Map<number, Type>();
  for (const [id, ty] of c.types) resolved.set(id, c.subst.resolve(ty, true));
  return { types: resolved, refs: c.refs, issues: c.issues, type: c.subst.resolve(t, true) };
}

class Checker {
  readonly types = new Map<number, Type>();
  readonly refs = new Map<number, Reference>();
  readonly issues: CelIssue[] = [];
  readonly subst = new Substitution();
  private readonly scopes: Map<string, Type>[] = [];
  private freshCount = 0;

  constructor(private readonly env: CheckEnv) {}

  private fresh(): Type {
    return T.param(`_var${this.freshCount++}`);
  }

  private error(e: { start: number; end: number }, code: string, message: string): Type {
    this.issues.push({ code, message, start: e.start, end: e.end });
    return T.error;
  }

  private set(e: Expr, t: Type): Type {
    this.types.set(e.id, t);
    return t;
  }

  private lookupLocal(name: string): Type | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const t = this.scopes[i]!.get(name);
      if (t !== undefined) return t;
    }
    return undefined;
  }

  private withScope<R>(vars: Map<string, Type>, f: () => R): R {
    this.scopes.push(vars);
    try {
      return f();
    } finally {
      this.scopes.pop();
    }
  }

  check(e: Expr): Type {
    switch (e.kind) {
      case 'const':
        return this.set(e, literalType(e.value));
      case 'ident':
        return this.set(e, this.ident(e));
      case 'select':
        return this.set(e, this.select(e));
      case 'call':
        return this.set(e, this.call(e));
      case 'list': {
        let elem: Type | undefined;
        const opt = new Set(e.optionalIndices);
        e.elements.forEach((x, i) => {
          let t = this.check(x);
          if (opt.has(i)) t = this.unwrapOptional(x, t);
          elem = elem === undefined ? t : this.join(elem, t);
        });
        return this.set(e, T.list(elem ?? this.fresh()));
      }
      case 'map': {
        let kt: Type | undefined;
        let vt: Type | undefined;
        for (const en of e.entries) {
          const k = this.check(en.key);
          let v = this.check(en.value);
          if (en.optional) v = this.unwrapOptional(en.value, v);
          kt = kt === undefined ? k : this.join(kt, k);
          vt = vt === undefined ? v : this.join(vt, v);
        }
        return this.set(e, T.map(kt ?? this.fresh(), vt ?? this.fresh()));
      }
      case 'struct':
        for (const f of e.fields) this.check(f.value);
        return this.set(
          e,
          this.error(e, 'unsupported', `message construction '${e.typeName}{...}' needs protobuf types, which policies do not have; use a map literal {'key': value}`),
        );
      case 'macro':
        return this.set(e, this.macro(e));
      case 'bind': {
        const it = this.check(e.init);
        return this.set(e, this.withScope(new Map([[e.name, it]]), () => this.check(e.body)));
      }
      case 'optmap': {
        const tt = this.check(e.target);
        let inner: Type = T.dyn;
        const r = this.subst.resolve(tt);
        if (r.kind === 'abstract' && r.name === 'optional_type') inner = r.params[0]!;
        else if (r.kind !== 'dyn' && r.kind !== 'error') {
          this.error(e.target, 'type-mismatch', `${e.flat ? 'optFlatMap' : 'optMap'}() needs an optional value, got ${typeToString(r)}`);
        }
        const bt = this.withScope(new Map([[e.name, inner]]), () => this.check(e.body));
        if (!e.flat) return this.set(e, T.optional(bt));
        const rb = this.subst.resolve(bt);
        if (rb.kind === 'abstract' && rb.name === 'optional_type') return this.set(e, rb);
        if (rb.kind === 'dyn' || rb.kind === 'error') return this.set(e, T.optional(T.dyn));
        return this.set(e, this.error(e.body, 'type-mismatch', `optFlatMap() must return an optional, got ${typeToString(rb)}`));
      }
      case 'block': {
        const scope = new Map<string, Type>();
        return this.withScope(scope, () => {
          e.slots.forEach((s, i) => scope.set(`@index${i}`, this.check(s)));
          return this.set(e, this.check(e.result));
        });
      }
      default:
        return e satisfies never;
    }
  }

  /** Element/value type of `[?x]` / `{?k: x}`: x must be optional(T); the entry's type is T. */
  private unwrapOptional(e: Expr, t: Type): Type {
    const r = this.subst.resolve(t);
    if (r.kind === 'abstract' && r.name === 'optional_type') return r.params[0]!;
    if (r.kind === 'dyn' || r.kind === 'error' || r.kind === 'param') return T.dyn;
    return this.error(e, 'type-mismatch', `an optional entry (?x) needs an optional value, got ${typeToString(r)}`);
  }

  /** The type of a list/map literal holding both a and b: the more general one, or dyn when they disagree. */
  private join(a: Type, b: Type): Type {
    const snap = this.subst.snapshot();
    if (isAssignable(a, b, this.subst)) return mostGeneral(this.subst.resolve(a), this.subst.resolve(b));
    this.subst.restore(snap);
    return T.dyn;
  }

  private ident(e: Expr & { kind: 'ident' }): Type {
    const local = this.lookupLocal(e.name);
    if (local !== undefined) return local;
    const name = e.name.startsWith('.') ? e.name.slice(1) : e.name;
    const v = this.env.variables.get(name);
    if (v !== undefined) {
      this.refs.set(e.id, { kind: 'var', name });
      return v;
    }
    const tn = TYPE_NAMES.get(name);
    if (tn !== undefined) {
      this.refs.set(e.id, { kind: 'type', type: tn });
      return T.type(tn);
    }
    if (this.env.allowUndeclared) {
      this.refs.set(e.id, { kind: 'var', name });
      return T.dyn;
    }
    // Candidates: comprehension and bind variables in scope, then declared variables.
    const locals = this.scopes.flatMap((sc) => [...sc.keys()]).filter((n) => !n.startsWith('@'));
    return this.error(e, 'undeclared', `undeclared reference to '${name}'${suggest(name, [...locals, ...this.env.variables.keys()])}`);
  }

  /** For `a.b.c` with no local `a`: the longest dotted prefix naming a variable or type. */
  private qualified(e: Expr): { ref: Reference; type: Type } | undefined {
    const parts: string[] = [];
    let x: Expr = e;
    while (x.kind === 'select' && !x.testOnly && !x.optional) {
      parts.unshift(x.field);
      x = x.operand;
    }
    if (x.kind !== 'ident' || this.lookupLocal(x.name) !== undefined) return undefined;
    const root = x.name.startsWith('.') ? x.name.slice(1) : x.name;
    const name = [root, ...parts].join('.');
    const v = this.env.variables.get(name);
    if (v !== undefined) return { ref: { kind: 'var', name }, type: v };
    const tn = TYPE_NAMES.get(name);
    if (tn !== undefined) return { ref: { kind: 'type', type: tn }, type: T.type(tn) };
    return undefined;
  }

  private select(e: Expr & { kind: 'select' }): Type {
    if (!e.testOnly && !e.optional) {
      const q = this.qualified(e);
      if (q) {
        this.refs.set(e.id, q.ref);
        return q.type;
      }
    }
    const ot = this.subst.resolve(this.check(e.operand));
    let ft = this.fieldType(e, ot);
    if (e.testOnly) return T.bool;
    if (e.optional) {
      const rf = this.subst.resolve(ft);
      if (!(rf.kind === 'abstract' && rf.name === 'optional_type')) ft = T.optional(ft);
    }
    return ft;
  }

  private fieldType(e: Expr & { kind: 'select' }, t: Type): Type {
    switch (t.kind) {
      case 'dyn':
      case 'error':
        return T.dyn;
      case 'param':
        return T.dyn;
      case 'map':
        if (!isAssignable(t.key, T.string, this.subst)) {
          return this.error(fieldSpan(e), 'type-mismatch', `cannot select field '${e.field}' from ${typeToString(t)}: its keys are not strings; use m[key]`);
        }
        return t.value;
      case 'object': {
        const f = t.fields.get(e.field);
        if (f !== undefined) return f;
        if (t.open) return T.dyn;
        return this.error(fieldSpan(e), 'undefined-field', `${t.name} has no field '${e.field}'${suggest(e.field, [...t.fields.keys()])}`);
      }
      case 'abstract':
        if (t.name === 'optional_type') {
          // Selecting through an optional yields an optional (optional chaining).
          const inner = this.subst.resolve(t.params[0]!);
          const ft = inner.kind === 'abstract' && inner.name === 'optional_type' ? T.dyn : this.fieldType(e, inner);
          const rf = this.subst.resolve(ft);
          return rf.kind === 'abstract' && rf.name === 'optional_type' ? rf : T.optional(ft);
        }
        break;
      default:
        break;
    }
    return this.error(fieldSpan(e), 'type-mismatch', `cannot select field '${e.field}' from a value of type ${typeToString(t)}`);
  }

  private call(e: Expr & { kind: 'call' }): Type {
    // Namespaced functions written as member calls: optional.of(x), math.greatest(...).
    if (e.target) {
      const ns = this.namespaceOf(e.target);
      if (ns !== undefined && this.env.functions.has(`${ns}.${e.fn}`)) {
        const args = e.args.map((a) => this.check(a));
        return this.resolveCall(e, `${ns}.${e.fn}`, false, args);
      }
    }
    if (e.fn === '_[_]' || e.fn === '_[?_]') return this.index(e);
    // A macro name with the wrong number of arguments was not expanded: its
    // arguments are variable names and bodies, not expressions to check here.
    const macro = MACRO_FORMS.get(e.fn);
    if (macro && !this.env.functions.has(e.fn)) {
      if (!e.target) return this.error(callSpan(e), 'undeclared-function', `${e.fn}() is a macro called on a list or map, taking ${macro}`);
      this.check(e.target);
      const n = e.args.length;
      return this.error(callSpan(e), 'wrong-arity', `${e.fn}() is a macro that takes ${macro}; got ${n} argument${n === 1 ? '' : 's'}`);
    }
    const args: Type[] = [];
    if (e.target) args.push(this.check(e.target));
    for (const a of e.args) args.push(this.check(a));
    const name = e.fn.startsWith('.') ? e.fn.slice(1) : e.fn;
    return this.resolveCall(e, name, e.target !== undefined, args);
  }

  /** `a.b` as a dotted name when it is not a variable or local (so `optional.of` is a function name). */
  private namespaceOf(e: Expr): string | undefined {
    if (e.kind === 'ident') {
      if (this.lookupLocal(e.name) !== undefined || this.env.variables.has(e.name)) return undefined;
      return e.name.startsWith('.') ? e.name.slice(1) : e.name;
    }
    if (e.kind === 'select' && !e.testOnly && !e.optional) {
      const base = this.namespaceOf(e.operand);
      if (base === undefined) return undefined;
      const full = `${base}.${e.field}`;
      if (this.env.variables.has(full)) return undefined;
      return full;
    }
    return undefined;
  }

  /** Indexing, including through optionals: optional(list(T))[i] is optional(T). */
  private index(e: Expr & { kind: 'call' }): Type {
    const [ce, ie] = e.args as [Expr, Expr];
    let ct = this.subst.resolve(this.check(ce));
    const it = this.check(ie);
    let viaOptional = e.fn === '_[?_]';
    if (ct.kind === 'abstract' && ct.name === 'optional_type') {
      viaOptional = true;
      ct = this.subst.resolve(ct.params[0]!);
    }
    const plain = this.resolveCall(e, '_[_]', false, [ct, it]);
    if (!viaOptional) return plain;
    const rp = this.subst.resolve(plain);
    if (rp.kind === 'error') return rp;
    return rp.kind === 'abstract' && rp.name === 'optional_type' ? rp : T.optional(rp);
  }

  private resolveCall(e: CallExpr, name: string, member: boolean, args: Type[]): Type {
    // Diagnostics point at the operator or the function name, not at the left operand.
    const at = callSpan(e);
    const decl = this.env.functions.get(name);
    if (!decl) {
      const all = this.env.functions.names().filter((n) => /^[A-Za-z]/.test(n));
      const known = functionAlias(name, this.env.functions);
      const hint = known ? ` (did you mean '${known}'?)` : suggest(name, all);
      return this.error(at, 'undeclared-function', `undeclared function '${displayName(name)}'${hint}`);
    }
    const shaped = decl.overloads.filter((o) => o.member === member && o.params.length === args.length);
    if (shaped.length === 0) return this.error(at, 'wrong-arity', arityMessage(name, member, args.length - (member ? 1 : 0), decl.overloads));
    if (args.some((a) => a.kind === 'error')) {
      this.refs.set(e.id, { kind: 'call', name, global: !member, overloads: shaped });
      return T.error;
    }
    const matched: Overload[] = [];
    let result: Type | undefined;
    for (const o of shaped) {
      const rename = new Map<string, Type>();
      const params = o.params.map((p) => freshen(p, rename, () => this.fresh()));
      const snap = this.subst.snapshot();
      if (params.every((p, i) => isAssignable(p, args[i]!, this.subst))) {
        matched.push(o);
        const r = this.subst.resolve(freshen(o.result, rename, () => this.fresh()));
        result = result === undefined ? r : sameType(result, r, this.subst) ? result : T.dyn;
      } else {
        this.subst.restore(snap);
      }
    }
    if (matched.length === 0) {
      this.refs.set(e.id, { kind: 'call', name, global: !member, overloads: shaped });
      const resolved = args.map((a) => this.subst.resolve(a, true));
      return this.noMatch(e, at, name, member, resolved, shaped);
    }
    this.refs.set(e.id, { kind: 'call', name, global: !member, overloads: matched });
    return result!;
  }

  /** The message for a call no overload accepts, aimed at the operand at fault when there is one. */
  private noMatch(e: CallExpr, at: Span, name: string, member: boolean, args: Type[], shaped: readonly Overload[]): Type {
    const shown = args.map(typeToString);
    const argExprs = e.target && member ? [e.target, ...e.args] : e.args;
    // Logical operators and conditions: point at the operand that is not a bool.
    if (name === '_&&_' || name === '_||_' || name === '!_' || name === '_?_:_') {
      const k = args.findIndex((a) => !isAssignable(T.bool, a, new Substitution()));
      const culprit = argExprs[k];
      if (k === 0 && culprit) {
        const what = name === '_?_:_' ? "the condition of '? :'" : `the operand of '${displayName(name)}'`;
        return this.error(culprit, 'no-matching-overload', `${what} must be a bool, got ${shown[0]}${boolHint(args[0]!)}`);
      }
      if (k === 1 && culprit && name !== '_?_:_') {
        return this.error(culprit, 'no-matching-overload', `the operand of '${displayName(name)}' must be a bool, got ${shown[1]}${boolHint(args[1]!)}`);
      }
      if (name === '_?_:_') {
        return this.error(
          at,
          'no-matching-overload',
          `the two branches of '? :' have different types, ${shown[1]} and ${shown[2]}; convert one of them (string(...), int(...), double(...)) or wrap both in dyn(...)`,
        );
      }
    }
    if (!isOperator(name)) {
      const call = member ? `${shown[0]}.${name}(${shown.slice(1).join(', ')})` : `${displayName(name)}(${shown.join(', ')})`;
      const forms = shaped.length <= 8 ? `; expected ${shaped.map((o) => signature(o, name)).join(' or ')}` : '';
      return this.error(at, 'no-matching-overload', `no matching overload for ${call}${forms}`);
    }
    return this.error(at, 'no-matching-overload', `no matching overload for '${displayName(name)}' applied to (${shown.join(', ')})${overloadHint(name, args)}`);
  }

  private macro(e: MacroExpr): Type {
    const rt = this.subst.resolve(this.check(e.range));
    let first: Type;
    let second: Type = T.dyn;
    switch (rt.kind) {
      case 'list':
        first = e.vars.length === 2 ? T.int : rt.elem;
        second = rt.elem;
        break;
      case 'map':
        first = rt.key;
        second = rt.value;
        break;
      case 'object':
        first = T.string;
        break;
      case 'dyn':
      case 'error':
      case 'param':
        first = T.dyn;
        break;
      default:
        this.error(e.range, 'type-mismatch', `${e.macro}() needs a list or a map, got ${typeToString(rt)}`);
        first = T.dyn;
    }
    const scope = new Map<string, Type>([[e.vars[0]!, first]]);
    if (e.vars.length === 2) scope.set(e.vars[1]!, second);
    return this.withScope(scope, () => {
      if (e.filter) this.expectBool(e.filter, this.check(e.filter), 'filter');
      const st = this.check(e.step);
      switch (e.macro) {
        case 'all':
        case 'exists':
        case 'exists_one':
          this.expectBool(e.step, st, e.macro);
          return T.bool;
        case 'filter':
          this.expectBool(e.step, st, 'filter');
          return T.list(first);
        case 'map':
        case 'transformList':
          return T.list(st);
        case 'transformMap':
          return T.map(first, st);
        case 'transformMapEntry': {
          const r = this.subst.resolve(st);
          if (r.kind === 'map') return r;
          if (r.kind === 'dyn' || r.kind === 'error') return T.map(T.dyn, T.dyn);
          return this.error(e.step, 'type-mismatch', `transformMapEntry() must produce a map, got ${typeToString(r)}`);
        }
        default:
          return e.macro satisfies never;
      }
    });
  }

  private expectBool(e: Expr, t: Type, what: string): void {
    if (!isAssignable(T.bool, t, this.subst)) {
      this.error(e, 'type-mismatch', `the condition of ${what}() must be a bool, got ${typeToString(this.subst.resolve(t, true))}`);
    }
  }
}

function sameType(a: Type, b: Type, s: Substitution): boolean {
  return typeToString(s.resolve(a, true)) === typeToString(s.resolve(b, true));
}

function literalType(v: unknown): Type {
  switch (typeof v) {
    case 'boolean':
      return T.bool;
    case 'bigint':
      return T.int;
    case 'number':
      return T.double;
    case 'string':
      return T.string;
    case 'object':
      if (v === null) return T.null;
      if (v instanceof Uint8Array) return T.bytes;
      return T.uint;
    default:
      return T.dyn;
  }
}

type Span = { readonly start: number; readonly end: number };

/** Call names that are operators (`_+_`, `!_`, `@in`, ...), as opposed to named functions. */
function isOperator(fn: string): boolean {
  return fn.startsWith('_') || fn.startsWith('@') || fn === '!_' || fn === '-_';
}

/** Where a diagnostic about a call points: the operator, the `[...]` of an index, or a function's name through its `)`. */
function callSpan(e: CallExpr): Span {
  switch (e.fn) {
    case '_[_]':
    case '_[?_]':
      return { start: e.pos, end: e.end };
    case '_?_:_':
    case '!_':
    case '-_':
      return { start: e.pos, end: e.pos + 1 };
    default:
      if (isOperator(e.fn)) return { start: e.pos, end: e.pos + displayName(e.fn).length };
      return { start: e.pos, end: e.end };
  }
}

/** The field name of a selection (`model` in `request.model`), where diagnostics about the field point. */
function fieldSpan(e: Expr & { kind: 'select' }): Span {
  return e.fieldStart !== undefined ? { start: e.fieldStart, end: e.fieldStart + e.field.length } : e;
}

/** How a macro is written, for calls with the wrong number of arguments (macros are not functions). */
const MACRO_FORMS = new Map<string, string>([
  ['all', 'a variable and a condition, as in list.all(x, x > 0), or two variables, as in map.all(k, v, v > 0)'],
  ['exists', 'a variable and a condition, as in list.exists(x, x > 0), or two variables, as in map.exists(k, v, v > 0)'],
  ['exists_one', 'a variable and a condition, as in list.exists_one(x, x > 0), or two variables, as in map.exists_one(k, v, v > 0)'],
  ['existsOne', 'a variable and a condition, as in list.existsOne(x, x > 0), or two variables, as in map.existsOne(k, v, v > 0)'],
  ['map', 'a variable and an expression, as in list.map(x, x * 2), or a variable, a filter and an expression, as in list.map(x, x > 0, x * 2)'],
  ['filter', 'a variable and a condition, as in list.filter(x, x > 0)'],
  ['transformList', 'two variables and an expression, as in list.transformList(i, v, v * 2), with an optional filter before the expression'],
  ['transformMap', 'two variables and an expression, as in map.transformMap(k, v, v * 2), with an optional filter before the expression'],
  ['transformMapEntry', "two variables and an expression, as in map.transformMapEntry(k, v, {v: k}), with an optional filter before the expression"],
]);

/** Names other languages use for CEL functions, too far from them for suggest() to find. */
const FUNCTION_ALIASES = new Map<string, string>([
  ['len', 'size'],
  ['length', 'size'],
  ['count', 'size'],
  ['includes', 'contains'],
  ['match', 'matches'],
  ['test', 'matches'],
  ['regex', 'matches'],
  ['lower', 'lowerAscii'],
  ['lowercase', 'lowerAscii'],
  ['toLowerCase', 'lowerAscii'],
  ['upper', 'upperAscii'],
  ['uppercase', 'upperAscii'],
  ['toUpperCase', 'upperAscii'],
  ['strip', 'trim'],
  ['max', 'math.greatest'],
  ['min', 'math.least'],
]);

/** A declared function `name` probably means: a known alias, or the same name in the math namespace (abs → math.abs). */
function functionAlias(name: string, functions: FunctionRegistry): string | undefined {
  const alias = FUNCTION_ALIASES.get(name);
  if (alias !== undefined && functions.has(alias)) return alias;
  if (!name.includes('.') && functions.has(`math.${name}`)) return `math.${name}`;
  return undefined;
}

/** `size(string) -> int`, `string.contains(string) -> bool`. */
function signature(o: Overload, name: string): string {
  const ps = o.params.map(typeToString);
  const r = typeToString(o.result);
  return o.member ? `${ps[0]}.${name}(${ps.slice(1).join(', ')}) -> ${r}` : `${name}(${ps.join(', ')}) -> ${r}`;
}

/** For a call with an argument count no overload takes: the counts it does take, and its forms. */
function arityMessage(name: string, member: boolean, given: number, overloads: readonly Overload[]): string {
  const style = overloads.filter((o) => o.member === member);
  const forms = (os: readonly Overload[]): string => os.map((o) => signature(o, name)).join(', ');
  if (style.length === 0) {
    return member
      ? `${name}() is a function, not a method: write ${name}(x) instead of x.${name}(); its forms: ${forms(overloads)}`
      : `${name}() is a method: write x.${name}(...) instead of ${name}(x, ...); its forms: ${forms(overloads)}`;
  }
  const counts = [...new Set(style.map((o) => o.params.length - (member ? 1 : 0)))].sort((a, b) => a - b);
  const takes = counts.length === 1 ? String(counts[0]) : `${counts.slice(0, -1).join(', ')} or ${counts[counts.length - 1]}`;
  const plural = counts.length === 1 && counts[0] === 1 ? 'argument' : 'arguments';
  return `${name}() takes ${takes} ${plural}, not ${given}; its forms: ${forms(style)}`;
}

function isNumeric(t: Type): boolean {
  return isPrim(t, 'int') || isPrim(t, 'uint') || isPrim(t, 'double');
}

/** For `&&`, `||`, `!` and `? :` with a non-bool operand. */
function boolHint(t: Type): string {
  if (isNumeric(t)) return '; compare it with something, e.g. x > 0';
  if (isPrim(t, 'string')) return "; compare it with something, e.g. x == 'yes', or test it, e.g. x.startsWith('a')";
  if (t.kind === 'list' || t.kind === 'map' || t.kind === 'object') return '; test it with size(x) > 0, x.exists(...) or has(x.field)';
  return '';
}

/** A fix for a common operator mistake, appended to "no matching overload". */
function overloadHint(name: string, args: readonly Type[]): string {
  const [a, b] = args;
  if (!a || !b) return '';
  const either = (f: (t: Type) => boolean): boolean => f(a) || f(b);
  const both = (f: (t: Type) => boolean): boolean => f(a) && f(b);
  const isList = (t: Type): boolean => t.kind === 'list';
  const isStr = (t: Type): boolean => isPrim(t, 'string');
  const isTime = (t: Type): boolean => isPrim(t, 'timestamp') || isPrim(t, 'duration');
  const isInt = (t: Type): boolean => isPrim(t, 'int');
  const isUint = (t: Type): boolean => isPrim(t, 'uint');
  const isDouble = (t: Type): boolean => isPrim(t, 'double');
  switch (name) {
    case '_+_':
      if (either(isList) && !both(isList)) return '; to add an element to a list, wrap it in a list: list + [x]';
      if (either(isStr) && (either(isNumeric) || either((t) => isPrim(t, 'bool')))) return '; convert the other operand with string(...)';
      if (either(isTime) && either(isNumeric)) return "; add a duration, e.g. duration('1h')";
      break;
    case '_-_':
      if (either(isTime) && either(isNumeric)) return "; subtract a duration, e.g. duration('1h')";
      break;
    case '_%_':
      if (either(isDouble)) return '; % takes ints or uints only (JSON numbers are doubles): convert with int(...)';
      break;
    case '_==_':
    case '_!=_':
      if (either(isList) && !both(isList)) return '; to test whether a list holds a value, write: value in list';
      if (both(isNumeric)) break; // handled below with the arithmetic operators
      if (either(isStr) && either(isNumeric)) return "; compare values of the same type: convert with int('42'), double('1.5') or string(42)";
      break;
    case '_<_':
    case '_<=_':
    case '_>_':
    case '_>=_':
      if (either(isStr) && either(isNumeric)) return "; compare values of the same type: convert with int('42'), double('1.5') or string(42)";
      break;
    case '@in':
      if (isStr(b)) return '; to look for a substring, write s.contains(x)';
      if (b.kind === 'list') return `; the value must have the type of the list's elements, ${typeToString(b.elem)}`;
      if (b.kind === 'map') return `; the value must have the type of the map's keys, ${typeToString(b.key)}`;
      break;
    case '_[_]':
      if (isStr(a)) return '; strings cannot be indexed: use s.charAt(i) or s.substring(i, j)';
      if (isList(a)) return '; a list index must be an int';
      if (a.kind === 'map') return `; the keys of this map are ${typeToString(a.key)}`;
      break;
  }
  if (['_+_', '_-_', '_*_', '_/_', '_==_', '_!=_'].includes(name)) {
    if (either(isDouble) && either((t) => isInt(t) || isUint(t))) return '; convert one side with double(...) or int(...)';
    if (either(isInt) && either(isUint)) return '; convert one side with int(...) or uint(...)';
  }
  if (name === '_%_' && either(isInt) && either(isUint)) return '; convert one side with int(...) or uint(...)';
  return '';
}

/**
 * " (did you mean 'x'?)" for the closest candidate within a small edit distance
 * (a swap of two letters counts as one edit). Names of one character get no
 * suggestion: every other one-letter name would be as close.
 */
export function suggest(name: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    if (c === name) continue;
    const d = editDistance(name, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(name.length / 3)) && bestD < name.length ? ` (did you mean '${best}'?)` : '';
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of adjacent characters. */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return Infinity;
  // Three rows: the one before the previous is needed for swaps.
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      cur.push(d);
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length]!;
}
