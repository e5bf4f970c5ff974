// The CEL abstract syntax tree produced by parser.ts.
//
// Macros (has, all, exists, exists_one, map, filter, the two-variable forms,
// cel.bind, optMap/optFlatMap, cel.block) are kept as dedicated nodes instead
// of being lowered to generic comprehensions: CEL source cannot spell a raw
// comprehension, so nothing is lost, and the checker and the compiler get the
// intent directly — which is what lets the compiler emit a tight loop per macro.

/** A literal value: null, bool, int (bigint), uint, double (number), string, bytes. */
import type { CelUint } from './values.js';

export type Literal = null | boolean | bigint | CelUint | number | string | Uint8Array;

interface Node {
  /** Unique within one parsed expression; the checker keys its types by it. */
  readonly id: number;
  /** Offsets into the expression source (UTF-16 code units), end exclusive. */
  readonly start: number;
  readonly end: number;
}

export interface ConstExpr extends Node {
  readonly kind: 'const';
  readonly value: Literal;
}

export interface IdentExpr extends Node {
  readonly kind: 'ident';
  /** A dotted name when written with a leading dot (`.a`) keeps the dot. */
  readonly name: string;
}

export interface SelectExpr extends Node {
  readonly kind: 'select';
  readonly operand: Expr;
  readonly field: string;
  /** Offset of the field name (after `.`, `.?` or the opening backtick), where diagnostics about the field point. */
  readonly fieldStart?: number;
  /** `has(a.b)`: yields whether the field is present instead of its value. */
  readonly testOnly: boolean;
  /** `a.?b`: yields an optional. */
  readonly optional: boolean;
}

export interface CallExpr extends Node {
  readonly kind: 'call';
  /** Operator names follow the CEL convention: `_+_`, `_[_]`, `!_`, `@in`, `_?_:_`. */
  readonly fn: string;
  /** Offset of the operator or function name, where run-time errors of the call point. */
  readonly pos: number;
  readonly target: Expr | undefined;
  readonly args: readonly Expr[];
}

export interface ListExpr extends Node {
  readonly kind: 'list';
  readonly elements: readonly Expr[];
  /** Indices of `?elem` entries: included only when the optional has a value. */
  readonly optionalIndices: readonly number[];
}

export interface MapEntry {
  readonly key: Expr;
  readonly value: Expr;
  readonly optional: boolean;
  readonly start: number;
}

export interface MapExpr extends Node {
  readonly kind: 'map';
  readonly entries: readonly MapEntry[];
}

export interface StructField {
  readonly name: string;
  readonly value: Expr;
  readonly optional: boolean;
  readonly start: number;
}

/** `Type{field: value}` — message construction. Parsed so errors can be precise; not evaluable here. */
export interface StructExpr extends Node {
  readonly kind: 'struct';
  readonly typeName: string;
  readonly fields: readonly StructField[];
}

export type MacroName =
  | 'all'
  | 'exists'
  | 'exists_one'
  | 'map'
  | 'filter'
  | 'transformList'
  | 'transformMap'
  | 'transformMapEntry';

/**
 * A comprehension macro over `range`. `vars` holds one name (element, or map key)
 * or two (index/key and value). `filter` is the optional predicate of the
 * three-argument `map` and the four-argument transforms; `step` is the predicate
 * (all/exists/exists_one/filter) or the transform (map/transform*).
 */
export interface MacroExpr extends Node {
  readonly kind: 'macro';
  readonly macro: MacroName;
  readonly range: Expr;
  readonly vars: readonly string[];
  readonly filter: Expr | undefined;
  readonly step: Expr;
}

/** `cel.bind(name, init, body)`. */
export interface BindExpr extends Node {
  readonly kind: 'bind';
  readonly name: string;
  readonly init: Expr;
  readonly body: Expr;
}

/** `opt.optMap(v, expr)` / `opt.optFlatMap(v, expr)`. */
export interface OptMapExpr extends Node {
  readonly kind: 'optmap';
  readonly flat: boolean;
  readonly target: Expr;
  readonly name: string;
  readonly body: Expr;
}

/** `cel.block([e0, e1, ...], result)`: `cel.index(i)` refers to slot i, evaluated lazily once. */
export interface BlockExpr extends Node {
  readonly kind: 'block';
  readonly slots: readonly Expr[];
  readonly result: Expr;
}

export type Expr =
  | ConstExpr
  | IdentExpr
  | SelectExpr
  | CallExpr
  | ListExpr
  | MapExpr
  | StructExpr
  | MacroExpr
  | BindExpr
  | OptMapExpr
  | BlockExpr;

/** The name `cel.index(i)` is rewritten to; `@` cannot appear in user identifiers. */
export function blockSlotName(i: number): string {
  return `@index${i}`;
}

/** Calls `visit` on every direct child of `e`. */
export function forEachChild(e: Expr, visit: (child: Expr) => void): void {
  switch (e.kind) {
    case 'const':
    case 'ident':
      return;
    case 'select':
      visit(e.operand);
      return;
    case 'call':
      if (e.target) visit(e.target);
      for (const a of e.args) visit(a);
      return;
    case 'list':
      for (const x of e.elements) visit(x);
      return;
    case 'map':
      for (const en of e.entries) {
        visit(en.key);
        visit(en.value);
      }
      return;
    case 'struct':
      for (const f of e.fields) visit(f.value);
      return;
    case 'macro':
      visit(e.range);
      if (e.filter) visit(e.filter);
      visit(e.step);
      return;
    case 'bind':
      visit(e.init);
      visit(e.body);
      return;
    case 'optmap':
      visit(e.target);
      visit(e.body);
      return;
    case 'block':
      for (const s of e.slots) visit(s);
      visit(e.result);
      return;
    default:
      e satisfies never;
  }
}
