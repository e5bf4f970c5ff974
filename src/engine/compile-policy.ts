// Compiles validated policy documents into evaluable form: every CEL
// expression and template part is parsed, type-checked and compiled once;
// every problem becomes a Diagnostic pointing into the policy file.

import { type Expr, forEachChild } from '../cel/ast.js';
import type { CompiledExpression, CelEnv } from '../cel/env.js';
import { SlotAllocator } from '../cel/compiler/compile.js';
import type { Evaluator } from '../cel/compiler/dispatch.js';
import { CelCompileError } from '../cel/errors.js';
import { typeToString, type Type } from '../cel/types.js';
import type { BudgetPeriod, DecisionKind, Diagnostic, PolicyDoc, RuleDoc, Severity, SourcePos, SourceText } from '../policy/types.js';
import { type ReadSpec, collectReads } from './read-paths.js';
import { TemplateSyntaxError, parseTemplate } from './template.js';

export interface CompiledExpr {
  readonly text: SourceText;
  readonly ev: Evaluator;
  readonly compiled: CompiledExpression;
}

export interface CompiledTemplate {
  readonly text: SourceText;
  /** Literal strings and compiled expressions, in order. */
  readonly parts: readonly (string | CompiledExpr)[];
}

export type CompiledModify =
  | { readonly op: 'set'; readonly path: string; readonly value: unknown }
  | { readonly op: 'set'; readonly path: string; readonly expr: CompiledExpr }
  | { readonly op: 'clamp'; readonly path: string; readonly max?: CompiledExpr; readonly min?: CompiledExpr }
  | { readonly op: 'remove'; readonly path: string };

export interface CompiledRule {
  readonly id: string;
  readonly pos: SourcePos;
  readonly description?: string;
  readonly decision: DecisionKind;
  readonly severity: Severity;
  readonly mode: 'enforce' | 'shadow';
  readonly when?: CompiledExpr;
  readonly unless?: CompiledExpr;
  readonly reason?: CompiledTemplate;
  readonly suggest: readonly (readonly [string, CompiledTemplate])[];
  readonly modify: readonly CompiledModify[];
  readonly retryAfterMs?: number;
  readonly limit?: CompiledLimit;
  readonly budget?: CompiledBudget;
  readonly labels: Readonly<Record<string, string>>;
}

export interface CompiledLimit {
  readonly key: CompiledExpr;
  /** Absent: each request counts 1. */
  readonly cost?: CompiledExpr;
  readonly max: CompiledExpr;
  readonly windowMs: number;
}

export interface CompiledBudget {
  readonly key: CompiledExpr;
  readonly limit: CompiledExpr;
  readonly period: BudgetPeriod;
  readonly unit: 'usd' | 'tokens';
  readonly amount?: CompiledExpr;
  readonly usage?: { readonly model: CompiledExpr; readonly inputTokens: CompiledExpr; readonly outputTokens: CompiledExpr };
  readonly warnAt?: number;
  readonly onExceed: 'deny' | 'clamp';
  readonly reservationTtlMs: number;
}

export interface CompiledPolicy {
  readonly name: string;
  readonly namespace: string;
  readonly file: string;
  readonly priority: number;
  readonly failOpen: boolean;
  readonly target?: CompiledExpr;
  readonly lets: readonly { readonly name: string; readonly expr: CompiledExpr }[];
  readonly rules: readonly CompiledRule[];
  readonly hash: string;
  readonly description?: string;
  readonly labels: Readonly<Record<string, string>>;
  /** What the policy's expressions read from the context (for decision-cache keys). */
  readonly reads: readonly ReadSpec[];
  /** False when an expression is time-dependent (now()): decisions cannot be cached. */
  readonly deterministic: boolean;
  /** True when a rule has a limit or budget: decisions depend on stored state. */
  readonly stateful: boolean;
  /** Names of the functions its expressions call (e.g. to load the tokenizer ahead of the first tokens() call). */
  readonly calls: ReadonlySet<string>;
  /** Slots of this policy's activation: lets, locals. */
  readonly slotCount: number;
  /** Slots to reset before each evaluation (lazily computed let bindings). */
  readonly lazySlots: readonly number[];
}

export interface PolicyCompileResult {
  readonly policy?: CompiledPolicy;
  readonly diagnostics: Diagnostic[];
}

const CEL_IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Compiles one policy. Each policy has its own slot layout, so a compiled
 * policy does not depend on the others and can be reused across reloads.
 */
/** Adds the names of the functions an expression calls (operators included; they do no harm). */
function collectCalls(e: Expr, into: Set<string>): void {
  if (e.kind === 'call') into.add(e.fn);
  forEachChild(e, (c) => collectCalls(c, into));
}

/** What a policy part's expression must produce; checked at load so a typo fails early. */
type Expect = 'any' | 'bool' | 'number' | 'string';

const NUMBER_TYPES = new Set(['int', 'uint', 'double']);

function typeMismatch(t: Type, expect: Expect, part: string): { code: string; message: string; hint: string } | undefined {
  if (expect === 'any' || t.kind === 'dyn' || t.kind === 'error') return undefined;
  if (expect === 'bool') {
    if (t.kind === 'prim' && t.name === 'bool') return undefined;
    return { code: 'cel-not-boolean', message: `${part} must be a condition (a bool), but this expression is a ${typeToString(t)}`, hint: "compare it with something, e.g. `request.model == 'gpt-4o'`" };
  }
  if (expect === 'number') {
    if (t.kind === 'prim' && NUMBER_TYPES.has(t.name)) return undefined;
    return { code: 'cel-not-number', message: `${part} must be a number, but this expression is a ${typeToString(t)}`, hint: 'e.g. `request.max_tokens` or `int(request.metadata.limit)`' };
  }
  if (t.kind === 'prim' && t.name === 'string') return undefined;
  return { code: 'cel-not-string', message: `${part} must be a string, but this expression is a ${typeToString(t)}`, hint: 'e.g. `request.model`, or `string(x)` to convert' };
}

export function compilePolicy(doc: PolicyDoc, env: CelEnv, traced = false): PolicyCompileResult {
  const slots = new SlotAllocator();
  const diagnostics: Diagnostic[] = [];
  const policyName = doc.metadata.name;
  const reads: ReadSpec[] = [];
  let deterministic = true;
  const calls = new Set<string>();
  const letTypes = new Map<string, Type>();

  const compileExpr = (text: SourceText, where: { rule?: string; part: string }, expect: Expect): CompiledExpr | undefined => {
    let compiled: CompiledExpression;
    try {
      compiled = env.compile(text.text, { slots, extraVariables: letTypes, traced });
    } catch (e) {
      if (!(e instanceof CelCompileError)) throw e;
      for (const issue of e.issues) {
        diagnostics.push({
          severity: 'error',
          code: `cel-${issue.code}`,
          message: `${where.part}: ${issue.message}`,
          pos: text.at(issue.start),
          sourceLine: text.lineText?.(issue.start),
          length: Math.max(1, issue.end - issue.start),
          policy: policyName,
          rule: where.rule,
        });
      }
      return undefined;
    }
    const mismatch = typeMismatch(compiled.type, expect, where.part);
    if (mismatch) {
      diagnostics.push({
        severity: 'error',
        ...mismatch,
        pos: text.pos,
        sourceLine: text.lineText?.(0),
        length: text.text.length,
        policy: policyName,
        rule: where.rule,
      });
      return undefined;
    }
    reads.push(...collectReads(compiled.ast, compiled.checked.refs, new Set(letTypes.keys())));
    if (!compiled.deterministic) deterministic = false;
    collectCalls(compiled.ast, calls);
    return { text, ev: compiled.evaluator, compiled };
  };

  const compileTemplate = (text: SourceText, where: { rule?: string; part: string }): CompiledTemplate | undefined => {
    let parts;
    try {
      parts = parseTemplate(text.text);
    } catch (e) {
      if (!(e instanceof TemplateSyntaxError)) throw e;
      diagnostics.push({ severity: 'error', code: 'template-syntax', message: `${where.part}: ${e.message}`, pos: text.at(e.offset), sourceLine: text.lineText?.(e.offset), length: 2, policy: policyName, rule: where.rule });
      return undefined;
    }
    const out: (string | CompiledExpr)[] = [];
    let ok = true;
    for (const p of parts) {
      if (p.literal !== undefined) {
        out.push(p.literal);
        continue;
      }
      const base = p.expr!.offset;
      const sub: SourceText = { text: p.expr!.text, pos: text.at(base), at: (o) => text.at(base + o), lineText: text.lineText ? (o) => text.lineText!(base + o) : undefined };
      const c = compileExpr(sub, where, 'any');
      if (!c) ok = false;
      else out.push(c);
    }
    return ok ? { text, parts: out } : undefined;
  };

  const lets: { name: string; expr: CompiledExpr }[] = [];
  for (const l of doc.lets) {
    if (!CEL_IDENT.test(l.name)) {
      diagnostics.push({ severity: 'error', code: 'invalid-let-name', message: `let name '${l.name}' is not a CEL identifier`, hint: 'use letters, digits and _ (not starting with a digit)', pos: l.expr.pos, policy: policyName });
      continue;
    }
    const slot = slots.allocate(true);
    slots.lets.set(l.name, { slot });
    const c = compileExpr(l.expr, { part: `let ${l.name}` }, 'any');
    if (c) {
      slots.lets.set(l.name, { slot, init: c.ev });
      letTypes.set(l.name, c.compiled.type);
      lets.push({ name: l.name, expr: c });
    } else {
      slots.lets.delete(l.name);
      letTypes.set(l.name, { kind: 'error' });
    }
  }

  const target = doc.target ? compileExpr(doc.target, { part: 'target' }, 'bool') : undefined;
  const rules: CompiledRule[] = [];
  for (const r of doc.rules) {
    const rule = compileRule(r, compileExpr, compileTemplate);
    if (rule) rules.push(rule);
  }

  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  return {
    diagnostics,
    policy: {
      name: policyName,
      namespace: doc.metadata.namespace,
      file: doc.file,
      priority: doc.priority,
      failOpen: doc.failOpen,
      target,
      lets,
      rules,
      hash: doc.hash,
      description: doc.metadata.description,
      labels: doc.metadata.labels,
      reads,
      deterministic,
      stateful: rules.some((r) => r.limit !== undefined || r.budget !== undefined),
      calls,
      slotCount: slots.count,
      lazySlots: slots.lazy,
    },
  };
}

function compileRule(
  r: RuleDoc,
  compileExpr: (t: SourceText, w: { rule?: string; part: string }, expect: Expect) => CompiledExpr | undefined,
  compileTemplate: (t: SourceText, w: { rule?: string; part: string }) => CompiledTemplate | undefined,
): CompiledRule | undefined {
  let ok = true;
  const need = <T>(v: T | undefined, present: boolean): T | undefined => {
    if (present && v === undefined) ok = false;
    return v;
  };
  const where = (part: string) => ({ rule: r.id, part });
  const when = need(r.when && compileExpr(r.when, where('when'), 'bool'), !!r.when);
  const unless = need(r.unless && compileExpr(r.unless, where('unless'), 'bool'), !!r.unless);
  const reason = need(r.reason && compileTemplate(r.reason, where('reason')), !!r.reason);
  const suggest: [string, CompiledTemplate][] = [];
  for (const [k, v] of Object.entries(r.suggest)) {
    const t = compileTemplate(v, where(`suggest.${k}`));
    if (t) suggest.push([k, t]);
    else ok = false;
  }
  const modify: CompiledModify[] = [];
  r.modify.forEach((m, i) => {
    const part = `modify[${i}]`;
    switch (m.op) {
      case 'set':
        if ('expr' in m) {
          const e = compileExpr(m.expr, where(part), 'any');
          if (e) modify.push({ op: 'set', path: m.path, expr: e });
          else ok = false;
        } else {
          modify.push({ op: 'set', path: m.path, value: m.value });
        }
        break;
      case 'clamp': {
        const max = m.max ? compileExpr(m.max, where(`${part}.max`), 'number') : undefined;
        const min = m.min ? compileExpr(m.min, where(`${part}.min`), 'number') : undefined;
        if ((m.max && !max) || (m.min && !min)) ok = false;
        else modify.push({ op: 'clamp', path: m.path, max, min });
        break;
      }
      case 'remove':
        modify.push({ op: 'remove', path: m.path });
        break;
    }
  });
  let limit: CompiledLimit | undefined;
  if (r.limit) {
    const key = compileExpr(r.limit.key, where('limit.key'), 'any');
    const cost = r.limit.cost ? compileExpr(r.limit.cost, where('limit.cost'), 'number') : undefined;
    const max = compileExpr(r.limit.max, where(r.limit.cost ? 'limit.max' : 'limit.requests'), 'number');
    if (!key || !max || (r.limit.cost && !cost)) ok = false;
    else limit = { key, ...(cost ? { cost } : {}), max, windowMs: r.limit.windowMs };
  }
  let budget: CompiledBudget | undefined;
  if (r.budget) {
    const b = r.budget;
    const key = compileExpr(b.key, where('budget.key'), 'any');
    const lim = compileExpr(b.limit, where('budget.limit'), 'number');
    const amount = b.amount ? compileExpr(b.amount, where('budget.amount'), 'number') : undefined;
    const usage = b.usage
      ? {
          model: compileExpr(b.usage.model, where('budget.usage.model'), 'string'),
          inputTokens: compileExpr(b.usage.inputTokens, where('budget.usage.input_tokens'), 'number'),
          outputTokens: compileExpr(b.usage.outputTokens, where('budget.usage.output_tokens'), 'number'),
        }
      : undefined;
    if (!key || !lim || (b.amount && !amount) || (usage && (!usage.model || !usage.inputTokens || !usage.outputTokens))) ok = false;
    else {
      budget = {
        key,
        limit: lim,
        period: b.period,
        unit: b.unit,
        ...(amount ? { amount } : {}),
        ...(usage ? { usage: usage as CompiledBudget['usage'] } : {}),
        ...(b.warnAt !== undefined ? { warnAt: b.warnAt } : {}),
        onExceed: b.onExceed,
        reservationTtlMs: b.reservationTtlMs,
      };
    }
  }
  if (!ok) return undefined;
  return {
    ...(limit ? { limit } : {}),
    ...(budget ? { budget } : {}),
    id: r.id,
    pos: r.pos,
    description: r.description,
    decision: r.decision,
    severity: r.severity,
    mode: r.mode,
    when,
    unless,
    reason,
    suggest,
    modify,
    retryAfterMs: r.retryAfterMs,
    labels: r.labels,
  };
}
