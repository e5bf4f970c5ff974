// A validated Policy document → PolicyDoc: defaults applied, keys in camelCase,
// every expression and template a SourceText pointing into the file.

import { celText } from './cel-text.js';
import { parseDuration } from './duration.js';
import type { Locator, Path } from './locator.js';
import type { RawBudget, RawExpression, RawLimit, RawModifyOp, RawPolicy, RawRule } from './raw.js';
import type { BudgetDoc, BudgetPeriod, DecisionKind, LetDoc, LimitDoc, ModifyOp, PolicyDoc, RuleDoc, Severity, SourceText } from './types.js';

export const DEFAULT_NAMESPACE = 'default';

/** A rule that says nothing about severity is as serious as what it decides. */
export const DEFAULT_SEVERITY: Readonly<Record<DecisionKind, Severity>> = {
  deny: 'high',
  throttle: 'medium',
  modify: 'low',
  warn: 'low',
  allow: 'info',
};

export function buildPolicy(raw: RawPolicy, loc: Locator, hash: string): PolicyDoc {
  const { metadata: m, spec } = raw;
  const expr = expressionReader(loc);
  const target = spec.target === undefined ? undefined : expr(['spec', 'target'], spec.target);
  const lets: LetDoc[] = Object.entries(spec.let ?? {}).map(([name, value]) => ({ name, expr: expr(['spec', 'let', name], value) }));
  return {
    kind: 'Policy',
    file: loc.file,
    pos: loc.pos([]),
    metadata: {
      name: m.name,
      namespace: m.namespace ?? DEFAULT_NAMESPACE,
      ...(m.description === undefined ? {} : { description: m.description }),
      labels: m.labels ?? {},
      annotations: m.annotations ?? {},
    },
    priority: spec.priority ?? 0,
    ...(target === undefined ? {} : { target }),
    failOpen: spec.fail_open ?? false,
    lets,
    rules: spec.rules.map((rule, i) => buildRule(rule, ['spec', 'rules', i], loc)),
    hash,
  };
}

function buildRule(r: RawRule, at: Path, loc: Locator): RuleDoc {
  const expr = expressionReader(loc);
  const suggest: Record<string, SourceText> = {};
  for (const [key, template] of Object.entries(r.suggest ?? {})) suggest[key] = loc.sourceText([...at, 'suggest', key], template);
  return {
    id: r.id,
    pos: loc.pos(at),
    ...(r.description === undefined ? {} : { description: r.description }),
    ...(r.when === undefined ? {} : { when: expr([...at, 'when'], r.when) }),
    ...(r.unless === undefined ? {} : { unless: expr([...at, 'unless'], r.unless) }),
    decision: r.decision,
    ...(r.reason === undefined ? {} : { reason: loc.sourceText([...at, 'reason'], r.reason) }),
    severity: r.severity ?? DEFAULT_SEVERITY[r.decision],
    mode: r.mode ?? 'enforce',
    suggest,
    modify: (r.modify ?? []).map((op, j) => buildModifyOp(op, [...at, 'modify', j], loc)),
    // The semantic checks parsed it already, so it cannot throw here.
    ...(r.retry_after === undefined ? {} : { retryAfterMs: parseDuration(r.retry_after) }),
    ...(r.limit === undefined ? {} : { limit: buildLimit(r.limit, [...at, 'limit'], loc) }),
    ...(r.budget === undefined ? {} : { budget: buildBudget(r.budget, [...at, 'budget'], loc) }),
    labels: r.labels ?? {},
  };
}

/** Default for budget.reservation_ttl. */
export const DEFAULT_RESERVATION_TTL_MS = 10 * 60 * 1000;

function buildLimit(l: RawLimit, at: Path, loc: Locator): LimitDoc {
  const expr = expressionReader(loc);
  return {
    pos: loc.pos(at),
    key: expr([...at, 'key'], l.key),
    ...(l.cost === undefined ? {} : { cost: expr([...at, 'cost'], l.cost) }),
    max: l.requests !== undefined ? expr([...at, 'requests'], l.requests) : expr([...at, 'max'], l.max as RawExpression),
    windowMs: parseDuration(l.window),
  };
}

function buildBudget(b: RawBudget, at: Path, loc: Locator): BudgetDoc {
  const expr = expressionReader(loc);
  const period: BudgetPeriod =
    b.period === 'day' || b.period === 'week' || b.period === 'month'
      ? { kind: 'calendar', unit: b.period, timezone: b.timezone ?? 'UTC' }
      : { kind: 'rolling', ms: parseDuration(b.period) };
  return {
    pos: loc.pos(at),
    key: expr([...at, 'key'], b.key),
    limit: expr([...at, 'limit'], b.limit),
    period,
    unit: b.unit ?? 'usd',
    ...(b.amount === undefined ? {} : { amount: expr([...at, 'amount'], b.amount) }),
    ...(b.usage === undefined
      ? {}
      : {
          usage: {
            model: expr([...at, 'usage', 'model'], b.usage.model),
            inputTokens: expr([...at, 'usage', 'input_tokens'], b.usage.input_tokens),
            outputTokens: expr([...at, 'usage', 'output_tokens'], b.usage.output_tokens),
          },
        }),
    ...(b.warn_at === undefined ? {} : { warnAt: b.warn_at }),
    onExceed: b.on_exceed ?? 'deny',
    reservationTtlMs: b.reservation_ttl === undefined ? DEFAULT_RESERVATION_TTL_MS : parseDuration(b.reservation_ttl),
  };
}

function buildModifyOp(op: RawModifyOp, at: Path, loc: Locator): ModifyOp {
  const expr = expressionReader(loc);
  const pos = loc.pos(at);
  if (op.set !== undefined) {
    return op.expr !== undefined
      ? { op: 'set', path: op.set, expr: expr([...at, 'expr'], op.expr), pos }
      : { op: 'set', path: op.set, value: op.value, pos };
  }
  if (op.clamp !== undefined) {
    return {
      op: 'clamp',
      path: op.clamp,
      ...(op.max === undefined ? {} : { max: expr([...at, 'max'], op.max) }),
      ...(op.min === undefined ? {} : { min: expr([...at, 'min'], op.min) }),
      pos,
    };
  }
  return { op: 'remove', path: op.remove as string, pos };
}

/** Reads an expression field: its CEL text (numbers keep their spelling) with positions. */
function expressionReader(loc: Locator): (path: Path, value: RawExpression) => SourceText {
  return (path, value) => loc.sourceText(path, celText(value, loc.rawText(path)));
}
