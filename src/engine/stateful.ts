// Rules with a limit or a budget: turning them into store checks during
// evaluation, and turning the store's answer back into matches and
// obligations. See docs/limits.md for the semantics.

import type { Pricing } from '../functions/pricing.js';
import type { Activation } from '../cel/activation.js';
import { CelError } from '../cel/errors.js';
import { literal } from '../cel/format.js';
import { CelUint, kindName, type CelTimestamp } from '../cel/values.js';
import { periodOf } from '../limits/periods.js';
import type { Check, CheckOutcome, StoreResult } from '../limits/types.js';
import { fromMicros, limitToMicros, toCount, toMicros } from '../limits/units.js';
import type { DecisionKind } from '../policy/types.js';
import type { CompiledExpr, CompiledPolicy, CompiledRule } from './compile-policy.js';
import type { MatchedRule, RuleError } from './decision.js';
import { type Evaluation, asCelError, defaultReason, errorEntry, renderTemplate, restoreLets } from './evaluate.js';
import { createHash } from 'node:crypto';

/** How a limit or budget rule turned out, once the store answered. */
export interface StatefulEffect {
  readonly decision: DecisionKind;
  readonly retryAfterMs?: number;
  /** on_exceed: clamp — the largest max_tokens the budget can pay for. */
  readonly maxTokens?: number;
  readonly suggestModel?: string;
}

/** A rule whose conditions held; its limit or budget waits for the store. */
export interface PendingLimit {
  readonly policy: CompiledPolicy;
  readonly rule: CompiledRule;
  readonly check: Check;
  /** Kept with a budget reservation for reportUsage: the unit and model. */
  readonly meta?: string;
  /** Budgets given as usage: what the request asks for, for clamping and suggestions. */
  readonly usage?: { readonly model: string; readonly inputTokens: number; readonly outputTokens: number };
  /** Human wording for traces and reasons: "requests", "tokens", "$". */
  readonly unit: 'requests' | 'units' | 'usd' | 'tokens';
  /** The policy's let values, restored before the reason is rendered. */
  lets?: unknown[];
  /** Filled in by applyLimitOutcomes when the rule matches. */
  match?: MatchedRule;
  /** A sentence for the trace: what the store said. */
  note?: string;
}

function numberOf(v: unknown, what: string): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new CelError(`${what} must be a finite number, got ${v}`);
    return v;
  }
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof CelUint) return Number(v.value);
  throw new CelError(`${what} must be a number, got ${kindName(v)}`);
}

function keyText(v: unknown): string {
  const s = typeof v === 'string' ? v : literal(v);
  // Keys are built from request data: keep the stored key bounded.
  return s.length > 256 ? `sha256:${createHash('sha256').update(s).digest('hex')}` : s;
}

/**
 * Evaluates a limit/budget rule's expressions into a check. On failure the
 * error is recorded and undefined returned (the caller applies fail_open).
 */
export function pendingLimit(p: CompiledPolicy, r: CompiledRule, a: Activation, errors: RuleError[], pricing: Pricing | undefined, now: CelTimestamp | undefined): PendingLimit | undefined {
  const eval_ = (e: CompiledExpr, part: string): unknown => {
    try {
      return e.ev(a);
    } catch (err) {
      throw Object.assign(asCelError(err), { part, expr: e });
    }
  };
  // Fix: a value of the wrong type (or not finite) was reported without its part and position,
  // as an error of `limit`/`budget` at the key expression; keep the part of the expression it came from.
  const num = (e: CompiledExpr, part: string): number => {
    const v = eval_(e, part);
    try {
      return numberOf(v, part);
    } catch (err) {
      throw Object.assign(asCelError(err), { part, expr: e });
    }
  };
  try {
    const nowMs = nowOf(a, now);
    const base = `${p.namespace}/${p.name}/${r.id}`;
    if (r.limit) {
      const l = r.limit;
      const key = keyText(eval_(l.key, 'limit.key'));
      const amount = l.cost ? toCount(num(l.cost, 'limit.cost')) : 1;
      const capacity = Math.floor(num(l.max, l.cost ? 'limit.max' : 'limit.requests'));
      return {
        policy: p,
        rule: r,
        check: { kind: 'window', key: `lim:${base}:${key}`, amount, capacity, windowMs: l.windowMs },
        unit: l.cost ? 'units' : 'requests',
      };
    }
    const b = r.budget!;
    const key = keyText(eval_(b.key, 'budget.key'));
    const limitValue = num(b.limit, 'budget.limit');
    const capacity = b.unit === 'usd' ? limitToMicros(limitValue) : Math.floor(limitValue);
    let amount: number;
    let minAmount: number | undefined;
    let usage: PendingLimit['usage'];
    let meta: string;
    if (b.usage) {
      const model = eval_(b.usage.model, 'budget.usage.model');
      if (typeof model !== 'string') throw Object.assign(new CelError(`budget.usage.model must be a string, got ${kindName(model)}`), { part: 'budget.usage.model', expr: b.usage.model });
      const inputTokens = toCount(num(b.usage.inputTokens, 'budget.usage.input_tokens'));
      const outputTokens = toCount(num(b.usage.outputTokens, 'budget.usage.output_tokens'));
      usage = { model, inputTokens, outputTokens };
      if (b.unit === 'usd') {
        const dollars = need(pricing).cost(model, inputTokens, outputTokens);
        if (dollars === undefined) throw Object.assign(new CelError(`unknown model '${model}': its price is not in the pricing table`), { part: 'budget.usage.model', expr: b.usage.model });
        amount = toMicros(dollars);
        if (b.onExceed === 'clamp') minAmount = toMicros(need(pricing).cost(model, inputTokens, 1) ?? dollars);
      } else {
        amount = inputTokens + outputTokens;
        if (b.onExceed === 'clamp') minAmount = inputTokens + 1;
      }
      meta = JSON.stringify({ u: b.unit, m: model });
    } else {
      const v = num(b.amount!, 'budget.amount');
      // Fix: toMicros keeps the sign, so a negative estimate credited the budget; like toCount, count it as 0.
      amount = b.unit === 'usd' ? Math.max(0, toMicros(v)) : toCount(v);
      meta = JSON.stringify({ u: b.unit });
    }
    let check: Check;
    if (b.period.kind === 'calendar') {
      const period = periodOf(b.period.unit, b.period.timezone, nowMs);
      check = { kind: 'calendar', key: `bud:${base}:${key}:${period.id}`, amount, capacity, periodEndMs: period.endMs, reservationTtlMs: b.reservationTtlMs, ...(minAmount !== undefined ? { minAmount } : {}) };
    } else {
      check = { kind: 'rolling', key: `bud:${base}:${key}`, amount, capacity, windowMs: b.period.ms, reservationTtlMs: b.reservationTtlMs, ...(minAmount !== undefined ? { minAmount } : {}) };
    }
    return { policy: p, rule: r, check, meta, ...(usage ? { usage } : {}), unit: b.unit };
  } catch (err) {
    const e = asCelError(err) as CelError & { part?: string; expr?: CompiledExpr };
    const expr = e.expr ?? (r.limit?.key ?? r.budget!.key);
    errors.push(errorEntry(p, r.id, e.part ?? (r.limit ? 'limit' : 'budget'), expr, e, p.failOpen ? 'not_matched' : 'matched'));
    return undefined;
  }
}

function need(pricing: Pricing | undefined): Pricing {
  if (!pricing) throw new CelError('no pricing table is configured, so budgets in dollars cannot price requests');
  return pricing;
}

function nowOf(a: Activation, now: CelTimestamp | undefined): number {
  const t = now ?? a.now();
  return t.seconds * 1000 + Math.floor(t.nanos / 1e6);
}

/** Wording of amounts in reasons and traces. */
function show(p: PendingLimit, units: number): string {
  switch (p.unit) {
    case 'usd':
      return `$${fromMicros(units).toFixed(fromMicros(units) < 1 ? 4 : 2)}`;
    case 'requests':
      return `${units} request${units === 1 ? '' : 's'}`;
    case 'tokens':
      return `${units} tokens`;
    default:
      return String(units);
  }
}

/** What the rule's limit says about the state, for the trace. */
function describeOutcome(p: PendingLimit, o: CheckOutcome, admitted: boolean, dryRun: boolean): string {
  const c = p.check;
  const what = c.kind === 'window' ? `in the last ${formatMs(c.windowMs ?? 0)}` : c.kind === 'rolling' ? `in the last ${formatMs(c.windowMs ?? 0)}` : 'this period';
  const state = `${show(p, o.used)} of ${show(p, c.capacity)} used ${what}; this request needs ${show(p, c.amount)}`;
  if (!o.fits) return `${state}: it does not fit${o.retryAfterMs !== undefined ? ` (fits again in ${formatMs(o.retryAfterMs)})` : ''}`;
  if (!admitted) return `${state}: it fits, but nothing was counted because another limit refused the request`;
  if (dryRun) return o.granted < c.amount ? `${state}: only ${show(p, o.granted)} left (dry run: nothing reserved)` : `${state}: it fits (dry run: nothing counted)`;
  return o.granted < c.amount ? `${state}: only ${show(p, o.granted)} left, reserved` : `${state}: counted`;
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const s = Math.ceil(ms / 1000);
  if (s < 120) return `${s}s`;
  const m = Math.ceil(s / 60);
  if (m < 120) return `${m}m`;
  const h = Math.ceil(m / 60);
  return h < 48 ? `${h}h` : `${Math.ceil(h / 24)}d`;
}

/**
 * Applies the store's answer for `pending` (all of one mode) to the
 * evaluation: matches for the rules that did not fit (or were clamped, or
 * crossed warn_at), with their obligations.
 */
export function applyLimitOutcomes(ev: Evaluation, pending: readonly PendingLimit[], result: StoreResult, dryRun: boolean): void {
  const a = ev.activation;
  const pricing = ev.pricing;
  pending.forEach((p, i) => {
    const o = grantedIn(p, result.outcomes[i]!, dryRun);
    p.note = describeOutcome(p, o, result.admitted, dryRun);
    const r = p.rule;
    let effect: StatefulEffect | undefined;
    let reason: string | undefined;
    const c = p.check;
    if (!o.fits && (c.minAmount ?? c.amount) > c.capacity) {
      // Bigger than the whole limit: it will never fit, and a throttle would have the client retry forever.
      effect = { decision: 'deny', ...suggestion(p, o, pricing) };
      reason = `this request alone needs ${show(p, c.minAmount ?? c.amount)}, more than the whole ${r.limit ? 'limit' : 'budget'} of ${show(p, c.capacity)}: retrying cannot help`;
    } else if (!o.fits) {
      effect = {
        decision: r.decision,
        ...(r.decision === 'throttle' && o.retryAfterMs !== undefined ? { retryAfterMs: o.retryAfterMs } : {}),
        ...suggestion(p, o, pricing),
      };
    } else if (result.admitted && o.granted < p.check.amount && p.usage) {
      const maxTokens = clampedTokens(p, o.granted, pricing);
      effect = { decision: 'modify', maxTokens };
      reason = `max_tokens clamped to ${maxTokens}: ${show(p, o.granted)} of the budget is left`;
    } else if (result.admitted && r.budget?.warnAt !== undefined && o.used + p.check.amount >= r.budget.warnAt * p.check.capacity) {
      effect = { decision: 'warn' };
      reason = `${Math.round(((o.used + p.check.amount) / p.check.capacity) * 100)}% of the budget used (${show(p, o.used + p.check.amount)} of ${show(p, p.check.capacity)})`;
    }
    if (!effect) return;
    if (p.lets) restoreLets(p.policy, a, p.lets);
    // Without a reason of the rule's own, say what the store found ("2 of 2 requests used ...").
    const text = reason ?? (r.reason ? renderTemplate(r.reason, a, p.policy, r.id, 'reason', ev.errors) : `${defaultReason(p.policy, r)}: ${p.note}`);
    p.match = { policy: p.policy.name, namespace: p.policy.namespace, rule: r.id, decision: effect.decision, reason: text, severity: effect.decision === r.decision ? r.severity : effect.decision === 'warn' ? 'low' : 'info', mode: r.mode };
    if (r.mode === 'enforce') ev.hits.push({ policy: p.policy, rule: r, stateful: effect, ...(p.lets ? { lets: p.lets } : {}) });
  });
}

/**
 * Fix: a dry run (dryRun: true, and every shadow check) reserves nothing, so
 * the store reports `granted: 0` — which made every budget with `usage` look
 * clamped to max_tokens 1. For a dry run, what the store WOULD grant is
 * worked out here: the whole amount, or the rest of the capacity (clamp).
 */
function grantedIn(p: PendingLimit, o: CheckOutcome, dryRun: boolean): CheckOutcome {
  if (!dryRun || !o.fits) return o;
  const c = p.check;
  return { ...o, granted: o.used + c.amount <= c.capacity ? c.amount : Math.max(0, c.capacity - o.used) };
}

/** The store could not be reached: fail open (rules skipped) or closed (rules match), with the error listed. */
export function applyStoreFailure(ev: Evaluation, pending: readonly PendingLimit[], error: unknown, failOpen: boolean, storeName: string): void {
  const message = `limit store (${storeName}) unavailable: ${error instanceof Error ? error.message : String(error)}`;
  for (const p of pending) {
    const r = p.rule;
    const expr = r.limit?.key ?? r.budget!.key;
    ev.errors.push(errorEntry(p.policy, r.id, r.limit ? 'limit' : 'budget', expr, new CelError(message), failOpen ? 'not_matched' : 'matched'));
    p.note = failOpen ? `${message}; failing open: not checked` : `${message}; failing closed: counted as exceeded`;
    if (failOpen) continue;
    p.match = { policy: p.policy.name, namespace: p.policy.namespace, rule: r.id, decision: r.decision, reason: `${r.decision === 'deny' ? 'Denied' : 'Throttled'}: the limit store is unavailable (fail closed)`, severity: r.severity, mode: r.mode, error: message };
    if (r.mode === 'enforce') ev.hits.push({ policy: p.policy, rule: r, stateful: { decision: r.decision } });
  }
}

/** The largest max_tokens the granted amount pays for (at least 1). */
function clampedTokens(p: PendingLimit, granted: number, pricingOrNone: Pricing | undefined): number {
  const u = p.usage!;
  if (p.unit === 'tokens') return Math.max(1, granted - u.inputTokens);
  const pricing = need(pricingOrNone);
  const input = pricing.cost(u.model, u.inputTokens, 0) ?? 0;
  const perToken = pricing.cost(u.model, 0, 1) ?? 0;
  if (perToken <= 0) return u.outputTokens;
  return Math.max(1, Math.min(u.outputTokens, Math.floor((fromMicros(granted) - input) / perToken + 1e-9)));
}

/** A cheaper model whose cost for the same request fits what is left of a dollar budget. */
function suggestion(p: PendingLimit, o: CheckOutcome, pricing: Pricing | undefined): { suggestModel?: string } {
  if (!p.usage || p.unit !== 'usd' || p.check.kind === 'window' || !pricing) return {};
  const left = p.check.capacity - o.used;
  for (const m of pricing.cheaperModels(p.usage.model)) {
    const c = pricing.cost(m, p.usage.inputTokens, p.usage.outputTokens);
    if (c !== undefined && toMicros(c) <= left) return { suggestModel: m };
  }
  return {};
}

export type { Pricing };
