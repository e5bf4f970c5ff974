// A validated Policy document → PolicyDoc: defaults applied, keys in camelCase,
// every expression and template a SourceText pointing into the file.

import { celText } from './cel-text.js';
import { parseDuration } from './duration.js';
import type { Locator, Path } from './locator.js';
import type { RawExpression, RawModifyOp, RawPolicy, RawRule } from './raw.js';
import type { DecisionKind, LetDoc, ModifyOp, PolicyDoc, RuleDoc, Severity, SourceText } from './types.js';

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
    labels: r.labels ?? {},
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
