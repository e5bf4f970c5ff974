// Traces: for every rule of every policy, whether it matched, did not,
// errored or was skipped — and why, with the values of the context fields
// and calls its conditions read. Produced by a separately compiled, traced
// copy of the policy set (each node records its value), so the fast path
// carries no tracing cost.

import type { Activation } from '../cel/activation.js';
import type { Expr } from '../cel/ast.js';
import { forEachChild } from '../cel/ast.js';
import { CelError } from '../cel/errors.js';
import { literal } from '../cel/format.js';
import type { CelTimestamp } from '../cel/values.js';
import { MEMO_KEYS } from '../functions/common.js';
import type { CompiledExpr, CompiledPolicy } from './compile-policy.js';
import type { TraceCondition, TraceEntry } from './decision.js';
import { condition, newActivation, resetPolicySlots } from './evaluate.js';
import type { CompiledPolicySet } from './policy-set.js';

/** For limit and budget rules: whether the store's answer made the rule match, and what it said. */
export type LimitNotes = ReadonlyMap<string, { readonly matched: boolean; readonly note: string; readonly error?: boolean }>;

export function traceSet(set: CompiledPolicySet, ctx: Readonly<Record<string, unknown>>, now?: CelTimestamp, notes?: LimitNotes): TraceEntry[] {
  const a = newActivation(set, ctx, now);
  const out: TraceEntry[] = [];
  for (const p of set.policies) {
    resetPolicySlots(p, a);
    if (p.target) {
      const c = traceCondition('target', p.target, a);
      if (c.error && p.failOpen) {
        out.push(...p.rules.map((r) => skipped(p, r.id, `the policy's target failed (${c.error!.message}) and the policy is fail_open`, [c.cond])));
        continue;
      }
      if (!c.error && c.value !== true) {
        out.push(...p.rules.map((r) => skipped(p, r.id, `the policy's target \`${oneLine(p.target!.text.text)}\` is false`, [c.cond])));
        continue;
      }
    }
    for (const r of p.rules) {
      const conds: TraceCondition[] = [];
      const base = { policy: p.name, rule: r.id, mode: r.mode };
      let failure: { part: string; error: CelError } | undefined;
      if (r.when) {
        const w = traceCondition('when', r.when, a);
        conds.push(w.cond);
        if (w.error) failure = { part: 'when', error: w.error };
        else if (w.value === false) {
          out.push({ ...base, result: 'not_matched', why: `when \`${oneLine(r.when.text.text)}\` is false`, conditions: conds });
          continue;
        }
      }
      if (r.unless) {
        const u = traceCondition('unless', r.unless, a);
        conds.push(u.cond);
        if (u.error) failure ??= { part: 'unless', error: u.error };
        else if (u.value === true) {
          out.push({ ...base, result: 'not_matched', why: `unless \`${oneLine(r.unless.text.text)}\` is true, which exempts the request`, conditions: conds });
          continue;
        }
      }
      if (failure) {
        const effect = p.failOpen ? 'counted as not matched (the policy is fail_open)' : 'counted as matched (fail closed)';
        out.push({ ...base, result: 'error', why: `${failure.part} failed: ${failure.error.message}; ${effect}`, conditions: conds });
        continue;
      }
      const why = r.when ? `when \`${oneLine(r.when.text.text)}\` is true` + (r.unless ? ` and unless \`${oneLine(r.unless.text.text)}\` is false` : '') : r.unless ? `unless \`${oneLine(r.unless.text.text)}\` is false` : 'the rule has no condition';
      // Limit and budget rules match only when the store said the request does not fit.
      const limit = r.limit || r.budget ? notes?.get(`${p.namespace}/${p.name}/${r.id}`) : undefined;
      if (r.limit || r.budget) {
        const applies = r.when || r.unless ? `${why}, so the ${r.limit ? 'limit' : 'budget'} applies: ` : '';
        const said = limit?.note || 'not checked';
        out.push({ ...base, result: limit?.error ? 'error' : limit?.matched ? 'matched' : 'not_matched', why: `${applies}${said}`, conditions: conds });
        continue;
      }
      out.push({ ...base, result: 'matched', why: r.mode === 'shadow' ? `${why} (shadow: reported, not enforced)` : why, conditions: conds });
    }
  }
  return out;
}

function skipped(p: CompiledPolicy, rule: string, why: string, conditions: TraceCondition[]): TraceEntry {
  return { policy: p.name, rule, result: 'skipped', why, conditions };
}

function oneLine(s: string): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > 120 ? t.slice(0, 117) + '...' : t;
}

/**
 * The LLM built-ins note in the activation's memo when a token count is an
 * estimate or a scan stopped at the cap. Cleared before each condition and
 * read after it, so each condition reports its own.
 */
function takeNotes(a: Activation, before: Map<string, unknown> | undefined): string[] {
  const notes: string[] = [];
  const models = a.memo?.get(MEMO_KEYS.tokensEstimated) as readonly string[] | undefined;
  const scans = a.memo?.get(MEMO_KEYS.scanTruncated) as readonly string[] | undefined;
  for (const m of models ?? []) notes.push(`tokens() for '${m}' is an estimate: no tokenizer for this model family ships with the engine, or the text is longer than the scan cap`);
  for (const f of scans ?? []) notes.push(`${f}() looked only at the first characters of a text longer than the scan cap`);
  // Put back what earlier conditions noted, so the memo stays a record of the whole evaluation.
  for (const k of [MEMO_KEYS.tokensEstimated, MEMO_KEYS.scanTruncated]) {
    const earlier = before?.get(k) as string[] | undefined;
    const now = a.memo?.get(k) as string[] | undefined;
    if (earlier) a.memo!.set(k, [...new Set([...earlier, ...(now ?? [])])]);
  }
  return notes;
}

function traceCondition(part: TraceCondition['part'], e: CompiledExpr, a: Activation): { cond: TraceCondition; value?: boolean; error?: CelError } {
  let before: Map<string, unknown> | undefined;
  if (a.memo) {
    for (const k of [MEMO_KEYS.tokensEstimated, MEMO_KEYS.scanTruncated]) {
      if (!a.memo.has(k)) continue;
      (before ??= new Map()).set(k, a.memo.get(k));
      a.memo.delete(k);
    }
  }
  a.trace = new Map();
  const r = condition(e, a);
  const trace = a.trace;
  a.trace = undefined;
  const notes = takeNotes(a, before);
  const base = e.compiled.traceBase;
  const inputs = collectInputs(e.compiled.ast, e.text.text).map(({ node, text }) => ({
    expression: text,
    value: trace.has(base + node.id) ? literal(trace.get(base + node.id)) : '<not evaluated>',
  }));
  const value = r.error ? `<error: ${r.error.message}>` : String(r.value);
  return { cond: { part, expression: e.text.text, value, inputs, ...(notes.length ? { notes } : {}) }, value: r.value, error: r.error };
}

const OPERATORS = /^(_.*_|!_|-_|@in)$/;

/** The maximal reads of a condition (fields, bindings, calls, indexes) in source order, deduplicated. */
function collectInputs(root: Expr, source: string): { node: Expr; text: string }[] {
  const found: { node: Expr; text: string }[] = [];
  const seen = new Set<string>();
  const locals: string[] = [];
  const add = (n: Expr): void => {
    const text = source.slice(n.start, n.end);
    if (!seen.has(text)) {
      seen.add(text);
      found.push({ node: n, text });
    }
  };
  const mentionsLocal = (n: Expr): boolean => {
    let hit = false;
    const v = (x: Expr): void => {
      if (x.kind === 'ident' && locals.includes(x.name)) hit = true;
      else forEachChild(x, v);
    };
    v(n);
    return hit;
  };
  const visit = (n: Expr): void => {
    switch (n.kind) {
      case 'const':
      case 'list':
      case 'map':
        if (n.kind !== 'const') forEachChild(n, visit);
        return;
      case 'ident':
      case 'select':
        if (!mentionsLocal(n)) add(n);
        return;
      case 'call':
        if (OPERATORS.test(n.fn) && n.fn !== '_[_]' && n.fn !== '_[?_]') {
          forEachChild(n, visit);
          return;
        }
        // The call and what it was called on: `request.model.startsWith('gpt')` and `request.model`.
        if (!mentionsLocal(n)) add(n);
        forEachChild(n, visit);
        return;
      case 'macro':
        visit(n.range);
        locals.push(...n.vars);
        if (n.filter) visit(n.filter);
        visit(n.step);
        locals.length -= n.vars.length;
        return;
      default:
        forEachChild(n, visit);
    }
  };
  visit(root);
  return found;
}
