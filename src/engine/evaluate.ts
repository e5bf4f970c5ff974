// Evaluates a compiled policy set against one context: every applicable rule
// of every applicable policy, combined most-restrictive-first
// (deny > throttle > modify > warn > allow). Pure: no I/O, no clock except
// through now(), no shared state — the same inputs give the same decision.
//
// Rules with a limit or a budget depend on stored state. Evaluation then runs
// in two phases: evaluatePolicies() decides everything that needs no state
// and turns each applicable limit/budget into a pending check
// (stateful.ts); the engine asks the limit store about all of them at once
// and applies the answers (applyLimitOutcomes); finish() combines.

import { Activation, UNSET } from '../cel/activation.js';
import { CelError } from '../cel/errors.js';
import { display, toJson } from '../cel/format.js';
import { CelUint, kindName, type CelTimestamp } from '../cel/values.js';
import type { DecisionKind } from '../policy/types.js';
import type { CompiledExpr, CompiledPolicy, CompiledRule, CompiledTemplate } from './compile-policy.js';
import { type Decision, type MatchedRule, type Modification, type Obligations, type RuleError, type Suggestion, isAllowed } from './decision.js';
import type { CompiledPolicySet } from './policy-set.js';
import { type PendingLimit, type Pricing, type StatefulEffect, pendingLimit } from './stateful.js';

/** Lower is more restrictive. */
const RANK: Readonly<Record<DecisionKind, number>> = { deny: 0, throttle: 1, modify: 2, warn: 3, allow: 4 };
const BY_RANK: readonly DecisionKind[] = ['deny', 'throttle', 'modify', 'warn', 'allow'];

export const EMPTY_OBLIGATIONS: Obligations = Object.freeze({ modifications: Object.freeze([]), suggestions: Object.freeze([]) });

/** A decision before the engine stamps it with an id, timing, warnings and the cache flag. */
export type DecisionCore = Pick<Decision, 'decision' | 'allowed' | 'reason' | 'matched' | 'obligations' | 'errors'>;

export interface Hit {
  readonly policy: CompiledPolicy;
  readonly rule: CompiledRule;
  /** For limit/budget rules: what the store's answer decided, instead of the rule's static fields. */
  readonly stateful?: StatefulEffect;
  /**
   * The policy's let values after its rules ran (one array shared by the
   * policy's hits), when the rule has obligations to render: they are
   * rendered after every policy ran, and other policies reuse the slots.
   */
  lets?: unknown[];
}

export type ConditionOutcome = { value: boolean; error?: undefined } | { value?: undefined; error: CelError };

/** Evaluates a condition: true/false, or the error (a non-bool result is an error too). */
export function condition(e: CompiledExpr, a: Activation): ConditionOutcome {
  try {
    const v = e.ev(a);
    if (v === true || v === false) return v ? TRUE : FALSE;
    return { error: new CelError(`expected a bool, got ${kindName(v)}`) };
  } catch (err) {
    return { error: asCelError(err) };
  }
}

const TRUE: ConditionOutcome = { value: true };
const FALSE: ConditionOutcome = { value: false };

export function asCelError(err: unknown): CelError {
  if (err instanceof CelError) return err;
  if (err instanceof RangeError) return new CelError('evaluation exceeded the stack (the data is nested too deeply)');
  return new CelError(`internal error: ${err instanceof Error ? err.message : String(err)}`);
}

export function newActivation(set: CompiledPolicySet, ctx: Readonly<Record<string, unknown>>, now?: CelTimestamp): Activation {
  return new Activation(ctx, set.slotCount, [], now);
}

export function resetPolicySlots(p: CompiledPolicy, a: Activation): void {
  const lazy = p.lazySlots;
  for (let i = 0; i < lazy.length; i++) a.slots[lazy[i]!] = UNSET;
}

export function errorEntry(p: CompiledPolicy, rule: string | undefined, part: string, e: CompiledExpr | CompiledTemplate, err: CelError, effect: RuleError['effect']): RuleError {
  const pos = err.position !== undefined ? e.text.at(err.position) : e.text.pos;
  return { policy: p.name, rule, part, message: err.message, pos, effect };
}

/** The result of the first phase: everything but the rules that wait for the limit store. */
export interface Evaluation {
  readonly set: CompiledPolicySet;
  readonly activation: Activation;
  /** Prices budgets in dollars; absent when the engine has no pricing table. */
  readonly pricing?: Pricing;
  /** Matched rules in evaluation order; pending limits hold their place until the store answers. */
  readonly slots: (MatchedRule | PendingLimit)[];
  readonly hits: Hit[];
  readonly errors: RuleError[];
  readonly pending: PendingLimit[];
}

export function evaluateSet(set: CompiledPolicySet, ctx: Readonly<Record<string, unknown>>, now?: CelTimestamp): DecisionCore {
  return finish(evaluatePolicies(set, ctx, now));
}

export function evaluatePolicies(set: CompiledPolicySet, ctx: Readonly<Record<string, unknown>>, now?: CelTimestamp, pricing?: Pricing): Evaluation {
  const a = newActivation(set, ctx, now);
  const slots: (MatchedRule | PendingLimit)[] = [];
  const hits: Hit[] = [];
  const errors: RuleError[] = [];
  const pending: PendingLimit[] = [];
  const policies = set.policies;

  for (let pi = 0; pi < policies.length; pi++) {
    const p = policies[pi]!;
    resetPolicySlots(p, a);
    if (p.target) {
      const t = condition(p.target, a);
      if (t.error) {
        errors.push(errorEntry(p, undefined, 'target', p.target, t.error, p.failOpen ? 'policy_skipped' : 'policy_applied'));
        if (p.failOpen) continue;
      } else if (!t.value) continue;
    }
    const rules = p.rules;
    const firstHit = hits.length;
    const firstPending = pending.length;
    for (let ri = 0; ri < rules.length; ri++) {
      const r = rules[ri]!;
      let failure: CelError | undefined;
      let failedPart = '';
      if (r.when) {
        const w = condition(r.when, a);
        if (w.error) {
          failure = w.error;
          failedPart = 'when';
        } else if (!w.value) continue;
      }
      if (r.unless) {
        const u = condition(r.unless, a);
        if (u.error) {
          if (!failure) {
            failure = u.error;
            failedPart = 'unless';
          }
        } else if (u.value) continue;
      }
      if (failure) {
        const expr = failedPart === 'when' ? r.when! : r.unless!;
        errors.push(errorEntry(p, r.id, failedPart, expr, failure, p.failOpen ? 'not_matched' : 'matched'));
        if (p.failOpen) continue;
      }
      // A limit or budget that applies: it matches only if the store says the request does not fit.
      let reason: string | undefined;
      if ((r.limit || r.budget) && !failure) {
        const errorsBefore = errors.length;
        const pend = pendingLimit(p, r, a, errors, pricing, now);
        if (pend) {
          pending.push(pend);
          slots.push(pend);
          continue;
        }
        if (p.failOpen) continue;
        // The rule's own reason ("budget reached") would be false: say what failed, as for a store outage.
        const what = r.limit ? 'limit' : 'budget';
        const cause = errors.length > errorsBefore ? errors[errors.length - 1]!.message : 'an expression failed';
        failure = new CelError(`the ${what} could not be computed: ${cause}`);
        reason = `${r.decision === 'deny' ? 'Denied' : 'Throttled'}: the ${what} could not be computed (fail closed): ${cause}`;
      }
      reason ??= r.reason ? renderTemplate(r.reason, a, p, r.id, 'reason', errors) : defaultReason(p, r);
      const m: MatchedRule = failure
        ? { policy: p.name, namespace: p.namespace, rule: r.id, decision: r.decision, reason, severity: r.severity, mode: r.mode, error: failure.message }
        : { policy: p.name, namespace: p.namespace, rule: r.id, decision: r.decision, reason, severity: r.severity, mode: r.mode };
      slots.push(m);
      if (r.mode === 'enforce') hits.push({ policy: p, rule: r });
    }
    if (p.lazySlots.length && (hits.length > firstHit || pending.length > firstPending)) saveLets(p, a, hits, firstHit, pending, firstPending);
  }
  return { set, activation: a, ...(pricing ? { pricing } : {}), slots, hits, errors, pending };
}

/** The most restrictive decision among enforced hits (5 when there are none). */
function rankOf(hits: readonly Hit[]): number {
  let rank = 5;
  for (const h of hits) {
    const k = RANK[h.stateful?.decision ?? h.rule.decision];
    if (k < rank) rank = k;
  }
  return rank;
}

/** The decision the enforced rules reach without the pending limits (they may only make it stricter). */
export function preliminaryDecision(ev: Evaluation): DecisionKind | undefined {
  const rank = rankOf(ev.hits);
  return rank === 5 ? undefined : BY_RANK[rank];
}

/** Combines the first phase (and any applied limit outcomes) into a decision. */
export function finish(ev: Evaluation): DecisionCore {
  const matched: MatchedRule[] = [];
  for (const x of ev.slots) {
    if ('check' in x) {
      if (x.match) matched.push(x.match);
    } else matched.push(x);
  }
  const hits = ev.hits;
  const errors = ev.errors;
  const rank = rankOf(hits);
  if (rank === 5) {
    const d = ev.set.settings.defaultDecision;
    return {
      decision: d,
      allowed: isAllowed(d),
      reason: d === 'allow' ? 'no policy rule matched: allowed by default' : 'no policy rule matched: denied by default (default_decision: deny)',
      matched,
      obligations: EMPTY_OBLIGATIONS,
      errors,
    };
  }
  const decision = BY_RANK[rank]!;
  let reason = '';
  for (const m of matched) {
    if (m.mode === 'enforce' && m.decision === decision) {
      reason = m.reason;
      break;
    }
  }
  const obligations = collectObligations(hits, decision, ev.activation, errors);
  return { decision, allowed: isAllowed(decision), reason, matched, obligations, errors };
}

export function defaultReason(p: CompiledPolicy, r: CompiledRule): string {
  return r.description ?? `${p.name}/${r.id}`;
}

export function renderTemplate(t: CompiledTemplate, a: Activation, p: CompiledPolicy, rule: string, part: string, errors: RuleError[]): string {
  const parts = t.parts;
  if (parts.length === 1 && typeof parts[0] === 'string') return parts[0];
  let out = '';
  for (const x of parts) {
    if (typeof x === 'string') {
      out += x;
      continue;
    }
    try {
      out += display(x.ev(a));
    } catch (err) {
      const e = asCelError(err);
      errors.push(errorEntry(p, rule, part, x, e, 'none'));
      out += `<error: ${e.message}>`;
    }
  }
  return out;
}

function collectObligations(hits: Hit[], decision: DecisionKind, a: Activation, errors: RuleError[]): Obligations {
  let suggestions: Suggestion[] | undefined;
  let modifications: Modification[] | undefined;
  let maxTokens: number | undefined;
  let retryAfter: number | undefined;
  let loaded: unknown[] | undefined;
  for (const { policy: p, rule: r, lets, stateful } of hits) {
    if (lets && lets !== loaded) {
      restoreLets(p, a, lets);
      loaded = lets;
    }
    if (r.suggest.length || stateful?.suggestModel) {
      const values: Record<string, string> = {};
      for (const [k, t] of r.suggest) values[k] = renderTemplate(t, a, p, r.id, `suggest.${k}`, errors);
      // A model the budget can still pay for, from the pricing table (unless the rule names one itself).
      if (stateful?.suggestModel && values.model === undefined) values.model = stateful.suggestModel;
      (suggestions ??= []).push({ policy: p.name, rule: r.id, values });
    }
    const ruleDecision = stateful?.decision ?? r.decision;
    const retry = stateful ? stateful.retryAfterMs : r.retryAfterMs;
    if (decision === 'throttle' && ruleDecision === 'throttle' && retry !== undefined) {
      retryAfter = Math.max(retryAfter ?? 0, retry);
    }
    if (decision === 'modify' && stateful?.maxTokens !== undefined) {
      (modifications ??= []).push({ op: 'clamp', path: 'request.max_tokens', max: stateful.maxTokens, policy: p.name, rule: r.id });
      maxTokens = maxTokens === undefined ? stateful.maxTokens : Math.min(maxTokens, stateful.maxTokens);
    }
    if (decision === 'modify' && r.decision === 'modify') {
      r.modify.forEach((m, i) => {
        const mod = evaluateModify(m, a, p, r, i, errors);
        if (!mod) return;
        (modifications ??= []).push(mod);
        if (mod.op === 'clamp' && mod.path === 'request.max_tokens' && mod.max !== undefined) {
          maxTokens = maxTokens === undefined ? mod.max : Math.min(maxTokens, mod.max);
        }
      });
    }
  }
  if (!suggestions && !modifications && maxTokens === undefined && retryAfter === undefined) return EMPTY_OBLIGATIONS;
  const o: { -readonly [K in keyof Obligations]: Obligations[K] } = { modifications: modifications ?? [], suggestions: suggestions ?? [] };
  if (maxTokens !== undefined) o.max_tokens = maxTokens;
  if (retryAfter !== undefined) o.retry_after_ms = retryAfter;
  return o;
}

/**
 * Obligations are rendered after all policies ran, when the let slots hold
 * the last policy's values (each policy numbers its slots from 0). Resetting
 * them would compute a binding again — lets are computed at most once per
 * evaluation — so the values a policy's rules left are kept with its hits
 * and put back before its obligations are rendered.
 */
function saveLets(p: CompiledPolicy, a: Activation, hits: Hit[], from: number, pending: PendingLimit[], fromPending: number): void {
  let lets: unknown[] | undefined;
  for (let i = from; i < hits.length; i++) {
    const h = hits[i]!;
    if (!h.rule.suggest.length && !h.rule.modify.length) continue;
    lets ??= p.lazySlots.map((s) => a.slots[s]);
    h.lets = lets;
  }
  // Pending limits render their reason (and suggestions) after the store answers.
  for (let i = fromPending; i < pending.length; i++) pending[i]!.lets = lets ??= p.lazySlots.map((s) => a.slots[s]);
}

export function restoreLets(p: CompiledPolicy, a: Activation, lets: readonly unknown[]): void {
  const lazy = p.lazySlots;
  for (let i = 0; i < lazy.length; i++) a.slots[lazy[i]!] = lets[i];
}

function evaluateModify(m: CompiledRule['modify'][number], a: Activation, p: CompiledPolicy, r: CompiledRule, i: number, errors: RuleError[]): Modification | undefined {
  const base = { policy: p.name, rule: r.id };
  const num = (e: CompiledExpr, part: string): number | undefined => {
    try {
      const v = e.ev(a);
      if (typeof v === 'number') return v;
      if (typeof v === 'bigint') return Number(v);
      if (v instanceof CelUint) return Number(v.value);
      throw new CelError(`expected a number, got ${kindName(v)}`);
    } catch (err) {
      errors.push(errorEntry(p, r.id, part, e, asCelError(err), 'none'));
      return undefined;
    }
  };
  switch (m.op) {
    case 'set':
      if ('expr' in m) {
        try {
          return { op: 'set', path: m.path, value: toJson(m.expr.ev(a)), ...base };
        } catch (err) {
          errors.push(errorEntry(p, r.id, `modify[${i}]`, m.expr, asCelError(err), 'none'));
          return undefined;
        }
      }
      return { op: 'set', path: m.path, value: m.value, ...base };
    case 'clamp': {
      const max = m.max ? num(m.max, `modify[${i}].max`) : undefined;
      const min = m.min ? num(m.min, `modify[${i}].min`) : undefined;
      if ((m.max && max === undefined) || (m.min && min === undefined)) return undefined;
      return { op: 'clamp', path: m.path, ...(max !== undefined ? { max } : {}), ...(min !== undefined ? { min } : {}), ...base };
    }
    case 'remove':
      return { op: 'remove', path: m.path, ...base };
  }
}
