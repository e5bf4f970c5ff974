// Static analysis: which parts of the context can an expression read, and how?
//
// The decision cache keys on exactly these reads, so two requests that
// differ only in data no policy looks at (a request id, the prompt's text
// when rules only check its size, the messages' content when rules only
// count them) share one cache entry, and building the key stays cheap.
//
// A read is a path from a top-level variable, possibly through list
// elements (`*`), with a mode:
//   value    — the whole value matters;
//   size     — only its size matters (`size(request.messages)`);
//   presence — only whether it is there (`has(metadata.trace_id)`: a trace id
//              that differs on every request must not make every request a miss).
// `request.tools.exists(t, t.type == 'x')` reads `request.tools.*.type`: the
// list's length and each element's `type`, not the whole tool objects.

import type { Expr } from '../cel/ast.js';
import { forEachChild } from '../cel/ast.js';
import type { Reference } from '../cel/checker.js';

export interface ReadSpec {
  /** Field names, or `*` for every element of a list. */
  readonly path: readonly string[];
  readonly mode: 'value' | 'size' | 'presence';
}

/** Kept for callers that only need the paths. */
export type ReadPath = readonly string[];

const NARROWABLE = new Set(['all', 'exists', 'exists_one', 'map']);

/**
 * Reads made by `e`. Names in `lets` (policy let bindings, analysed on their
 * own) and comprehension variables are not context reads.
 */
export function collectReads(e: Expr, refs: ReadonlyMap<number, Reference>, lets: ReadonlySet<string>): ReadSpec[] {
  const out: ReadSpec[] = [];
  // Local names in scope, each mapped to the path its elements come from (or null: not narrowable).
  const locals = new Map<string, string[] | null>();

  /** The path of `x` if it is a (possibly wildcarded) read; undefined otherwise. */
  const pathOf = (x: Expr): string[] | undefined => {
    const fields: string[] = [];
    let n: Expr = x;
    for (;;) {
      const ref = refs.get(n.id);
      if (ref?.kind === 'var') return lets.has(ref.name) ? undefined : [ref.name, ...fields];
      if (ref?.kind === 'type') return undefined;
      if (n.kind === 'select') {
        fields.unshift(n.field);
        n = n.operand;
        continue;
      }
      if (n.kind === 'ident') {
        const name = n.name.startsWith('.') ? n.name.slice(1) : n.name;
        if (locals.has(name)) {
          const base = locals.get(name);
          return base ? [...base, '*', ...fields] : undefined;
        }
        if (lets.has(name) || name.startsWith('@')) return undefined;
        return [name, ...fields];
      }
      return undefined;
    }
  };

  const visit = (x: Expr): void => {
    // `size(path)` / `path.size()`: only the size is read.
    if (x.kind === 'call' && x.fn === 'size' && (x.target ? x.args.length === 0 : x.args.length === 1)) {
      const p = pathOf(x.target ?? x.args[0]!);
      if (p) {
        out.push({ path: p, mode: 'size' });
        return;
      }
    }
    // `has(path.f)`: whether f is present (the parent's kind too, which the reader records on the way).
    if (x.kind === 'select' && x.testOnly) {
      const parent = pathOf(x.operand);
      if (parent) {
        out.push({ path: [...parent, x.field], mode: 'presence' });
        return;
      }
    }
    const p = pathOf(x);
    if (p) {
      out.push({ path: p, mode: 'value' });
      return;
    }
    // `math.greatest(...)`, `optional.of(...)`: the target of a namespaced global function is
    // its namespace, not a variable; reading a context field named `math` would only cost hits.
    if (x.kind === 'call' && x.target) {
      const ref = refs.get(x.id);
      if (ref?.kind === 'call' && ref.global) {
        for (const arg of x.args) visit(arg);
        return;
      }
    }
    switch (x.kind) {
      case 'macro': {
        const rangePath = pathOf(x.range);
        const v = x.vars[0]!;
        const narrow =
          rangePath !== undefined && x.vars.length === 1 && NARROWABLE.has(x.macro) && varOnlySelected(v, x.step) && (!x.filter || varOnlySelected(v, x.filter));
        // Narrowed: the list's length (how many elements run) plus each element's selected fields.
        if (narrow) out.push({ path: rangePath!, mode: 'size' });
        else visit(x.range);
        const saved = x.vars.map((name) => [name, locals.get(name)] as const);
        for (const name of x.vars) locals.set(name, narrow ? rangePath! : null);
        if (x.filter) visit(x.filter);
        visit(x.step);
        for (const [name, prev] of saved) {
          if (prev === undefined) locals.delete(name);
          else locals.set(name, prev);
        }
        return;
      }
      case 'bind':
      case 'optmap': {
        visit(x.kind === 'bind' ? x.init : x.target);
        const prev = locals.get(x.name);
        locals.set(x.name, null);
        visit(x.body);
        if (prev === undefined) locals.delete(x.name);
        else locals.set(x.name, prev);
        return;
      }
      default:
        forEachChild(x, visit);
    }
  };

  visit(e);
  return out;
}

/** Whether every use of `v` in `body` is the root of a field selection `v.f...` (so only those fields are read). */
function varOnlySelected(v: string, body: Expr): boolean {
  let ok = true;
  const walk = (x: Expr, parentIsSelect: boolean): void => {
    if (!ok) return;
    if (x.kind === 'ident' && x.name === v) {
      if (!parentIsSelect) ok = false;
      return;
    }
    if (x.kind === 'select') {
      // has(v.f) reads presence, which the encoding of v.f (absent vs present) captures.
      walk(x.operand, !x.optional);
      return;
    }
    if (x.kind === 'macro' || x.kind === 'bind' || x.kind === 'optmap') {
      const shadows = x.kind === 'macro' ? x.vars.includes(v) : x.name === v;
      if (shadows) {
        // Inner scope rebinds v: only the parts outside the rebinding see ours.
        if (x.kind === 'macro') walk(x.range, false);
        else walk(x.kind === 'bind' ? x.init : x.target, false);
        return;
      }
    }
    forEachChild(x, (c) => walk(c, false));
  };
  walk(body, false);
  return ok;
}

function covers(a: ReadSpec, b: ReadSpec): boolean {
  if (a.path.length > b.path.length) return false;
  if (!a.path.every((s, i) => s === b.path[i])) return false;
  if (a.path.length === b.path.length) return a.mode === 'value' || a.mode === b.mode;
  // A whole value covers anything below it; a size covers nothing below.
  return a.mode === 'value';
}

/** Deduplicated and sorted, with reads covered by another read removed. */
export function normalizeReads(reads: readonly ReadSpec[]): ReadSpec[] {
  const uniq = [...new Map(reads.map((r) => [key(r), r])).values()];
  const kept = uniq.filter((r) => !uniq.some((o) => o !== r && covers(o, r)));
  return kept.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function key(r: ReadSpec): string {
  return `${r.path.join('\u0000')}#${r.mode}`;
}
