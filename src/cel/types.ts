// Static CEL types, used by the checker and by function declarations.

export type PrimName = 'bool' | 'int' | 'uint' | 'double' | 'string' | 'bytes' | 'timestamp' | 'duration';

export type Type =
  | { readonly kind: 'prim'; readonly name: PrimName }
  | { readonly kind: 'null' }
  | { readonly kind: 'dyn' }
  | { readonly kind: 'error' }
  | { readonly kind: 'list'; readonly elem: Type }
  | { readonly kind: 'map'; readonly key: Type; readonly value: Type }
  /** The type of a type value: `type(int)` has type `type(int)`. */
  | { readonly kind: 'type'; readonly of: Type | undefined }
  /** A type parameter in a declaration (`A`) or a fresh variable during checking (`_var3`). */
  | { readonly kind: 'param'; readonly name: string }
  /** Parameterised types declared by libraries, e.g. optional_type(int). */
  | { readonly kind: 'abstract'; readonly name: string; readonly params: readonly Type[] }
  /**
   * A JSON object with known fields, from a declared context schema. `open`
   * objects accept unknown fields (typed dyn); closed ones reject them at check time.
   */
  | { readonly kind: 'object'; readonly name: string; readonly fields: ReadonlyMap<string, Type>; readonly open: boolean };

const prim = (name: PrimName): Type => ({ kind: 'prim', name });

export const T = {
  bool: prim('bool'),
  int: prim('int'),
  uint: prim('uint'),
  double: prim('double'),
  string: prim('string'),
  bytes: prim('bytes'),
  timestamp: prim('timestamp'),
  duration: prim('duration'),
  null: { kind: 'null' } as Type,
  dyn: { kind: 'dyn' } as Type,
  error: { kind: 'error' } as Type,
  list: (elem: Type): Type => ({ kind: 'list', elem }),
  map: (key: Type, value: Type): Type => ({ kind: 'map', key, value }),
  type: (of?: Type): Type => ({ kind: 'type', of }),
  param: (name: string): Type => ({ kind: 'param', name }),
  optional: (of: Type): Type => ({ kind: 'abstract', name: 'optional_type', params: [of] }),
  abstract: (name: string, params: Type[]): Type => ({ kind: 'abstract', name, params }),
};

/** Shorthands for declarations. */
export const A = T.param('A');
export const B = T.param('B');
export const K = T.param('K');
export const V = T.param('V');

export function typeToString(t: Type): string {
  switch (t.kind) {
    case 'prim':
      if (t.name === 'timestamp') return 'google.protobuf.Timestamp';
      if (t.name === 'duration') return 'google.protobuf.Duration';
      return t.name;
    case 'null':
      return 'null_type';
    case 'dyn':
      return 'dyn';
    case 'error':
      return '*error*';
    case 'list':
      return `list(${typeToString(t.elem)})`;
    case 'map':
      return `map(${typeToString(t.key)}, ${typeToString(t.value)})`;
    case 'type':
      return t.of ? `type(${typeToString(t.of)})` : 'type';
    case 'param':
      return t.name;
    case 'abstract':
      return t.params.length ? `${t.name}(${t.params.map(typeToString).join(', ')})` : t.name;
    case 'object':
      return t.name;
    default:
      return t satisfies never;
  }
}

export function isDynOrError(t: Type): boolean {
  return t.kind === 'dyn' || t.kind === 'error';
}

export function isPrim(t: Type, name: PrimName): boolean {
  return t.kind === 'prim' && t.name === name;
}

/** Type parameter bindings made while checking one expression. */
export class Substitution {
  private readonly bindings = new Map<string, Type>();

  get(name: string): Type | undefined {
    return this.bindings.get(name);
  }

  set(name: string, t: Type): void {
    this.bindings.set(name, t);
  }

  /** Replaces bound parameters in t, recursively; `unboundAsDyn` turns free ones into dyn. */
  resolve(t: Type, unboundAsDyn = false): Type {
    switch (t.kind) {
      case 'param': {
        const b = this.bindings.get(t.name);
        if (b === undefined) return unboundAsDyn ? T.dyn : t;
        return this.resolve(b, unboundAsDyn);
      }
      case 'list':
        return T.list(this.resolve(t.elem, unboundAsDyn));
      case 'map':
        return T.map(this.resolve(t.key, unboundAsDyn), this.resolve(t.value, unboundAsDyn));
      case 'type':
        return t.of ? T.type(this.resolve(t.of, unboundAsDyn)) : t;
      case 'abstract':
        return T.abstract(
          t.name,
          t.params.map((p) => this.resolve(p, unboundAsDyn)),
        );
      default:
        return t;
    }
  }

  snapshot(): Map<string, Type> {
    return new Map(this.bindings);
  }

  restore(s: Map<string, Type>): void {
    this.bindings.clear();
    for (const [k, v] of s) this.bindings.set(k, v);
  }
}

function occurs(name: string, t: Type, s: Substitution): boolean {
  switch (t.kind) {
    case 'param': {
      if (t.name === name) return true;
      const b = s.get(t.name);
      return b !== undefined && occurs(name, b, s);
    }
    case 'list':
      return occurs(name, t.elem, s);
    case 'map':
      return occurs(name, t.key, s) || occurs(name, t.value, s);
    case 'type':
      return t.of !== undefined && occurs(name, t.of, s);
    case 'abstract':
      return t.params.some((p) => occurs(name, p, s));
    default:
      return false;
  }
}

/**
 * Whether a value of type `from` may be passed where `to` is expected, binding
 * type parameters in `s` as needed (CEL checker semantics: dyn is assignable
 * both ways; null is assignable to nullable kinds).
 */
export function isAssignable(to: Type, from: Type, s: Substitution): boolean {
  if (to.kind === 'param') {
    const b = s.get(to.name);
    if (b !== undefined) {
      if (isAssignable(b, from, s)) return true;
      // A parameter bound to a type its new argument generalises widens (e.g. to dyn).
      if (isAssignable(from, b, s)) {
        s.set(to.name, mostGeneral(b, from));
        return true;
      }
      return false;
    }
    if (from.kind === 'param' && from.name === to.name) return true;
    if (occurs(to.name, from, s)) return false;
    s.set(to.name, from);
    return true;
  }
  if (from.kind === 'param') {
    const b = s.get(from.name);
    if (b !== undefined) return isAssignable(to, b, s);
    if (occurs(from.name, to, s)) return false;
    s.set(from.name, to);
    return true;
  }
  if (to.kind === 'dyn' || from.kind === 'dyn' || to.kind === 'error' || from.kind === 'error') return true;
  if (from.kind === 'null') {
    return to.kind === 'null' || to.kind === 'abstract' || to.kind === 'object' || (to.kind === 'prim' && (to.name === 'timestamp' || to.name === 'duration'));
  }
  switch (to.kind) {
    case 'prim':
      return from.kind === 'prim' && from.name === to.name;
    case 'null':
      return false;
    case 'list':
      return from.kind === 'list' && isAssignable(to.elem, from.elem, s);
    case 'map':
      if (from.kind === 'object') return isAssignable(to.key, T.string, s) && isAssignable(to.value, T.dyn, s);
      return from.kind === 'map' && isAssignable(to.key, from.key, s) && isAssignable(to.value, from.value, s);
    case 'type':
      // Type values compare by name at run time (type([1]) == type(['a'])), so any two type types are compatible.
      if (from.kind !== 'type') return false;
      if (!to.of || !from.of) return true;
      if (to.of.kind === 'param' || from.of.kind === 'param') return isAssignable(to.of, from.of, s);
      return true;
    case 'abstract':
      return (
        from.kind === 'abstract' &&
        from.name === to.name &&
        from.params.length === to.params.length &&
        to.params.every((p, i) => isAssignable(p, from.params[i]!, s))
      );
    case 'object':
      return from.kind === 'object' && from.name === to.name;
  }
}

/** Of two types, one assignable to the other, the one that accepts more. */
export function mostGeneral(a: Type, b: Type): Type {
  if (isLessSpecific(a, b)) return a;
  return b;
}

function isLessSpecific(a: Type, b: Type): boolean {
  if (a.kind === 'dyn' || a.kind === 'param') return true;
  if (b.kind === 'dyn' || b.kind === 'param') return false;
  if (a.kind === 'list' && b.kind === 'list') return isLessSpecific(a.elem, b.elem);
  if (a.kind === 'map' && b.kind === 'map') return isLessSpecific(a.key, b.key) && isLessSpecific(a.value, b.value);
  if (a.kind === 'abstract' && b.kind === 'abstract' && a.name === b.name) {
    return a.params.every((p, i) => isLessSpecific(p, b.params[i]!));
  }
  if (a.kind === 'type' && b.kind === 'type') return !a.of || (b.of !== undefined && isLessSpecific(a.of, b.of));
  if (b.kind === 'null') return true;
  return a.kind === b.kind;
}

/** Renames declaration parameters to fresh variables so overloads don't share bindings. */
export function freshen(t: Type, rename: Map<string, Type>, fresh: () => Type): Type {
  switch (t.kind) {
    case 'param': {
      let r = rename.get(t.name);
      if (!r) {
        r = fresh();
        rename.set(t.name, r);
      }
      return r;
    }
    case 'list':
      return T.list(freshen(t.elem, rename, fresh));
    case 'map':
      return T.map(freshen(t.key, rename, fresh), freshen(t.value, rename, fresh));
    case 'type':
      return t.of ? T.type(freshen(t.of, rename, fresh)) : t;
    case 'abstract':
      return T.abstract(
        t.name,
        t.params.map((p) => freshen(p, rename, fresh)),
      );
    default:
      return t;
  }
}

/** Names of types usable as values (`type(x) == int`), mapped to the type they denote. */
export const TYPE_NAMES: ReadonlyMap<string, Type> = new Map<string, Type>([
  ['bool', T.bool],
  ['int', T.int],
  ['uint', T.uint],
  ['double', T.double],
  ['string', T.string],
  ['bytes', T.bytes],
  ['null_type', T.null],
  ['list', T.list(T.dyn)],
  ['map', T.map(T.dyn, T.dyn)],
  ['type', T.type()],
  ['google.protobuf.Timestamp', T.timestamp],
  ['google.protobuf.Duration', T.duration],
  ['optional_type', T.optional(T.dyn)],
]);
