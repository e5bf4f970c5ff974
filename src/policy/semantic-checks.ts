// Checks that JSON Schema cannot express: uniqueness by a field, rules whose
// keys contradict their decision, durations and timestamps that have the right
// shape but no meaning. They read the plain value defensively (it may also
// have schema errors), so one run reports every problem at once.

import { fieldName, quote } from './describe.js';
import { makeDiagnostic } from './diagnostic.js';
import { DurationError, parseDuration } from './duration.js';
import type { Locator, Path } from './locator.js';
import { timestampProblem } from './timestamp.js';
import { DECISION_ORDER, type Diagnostic } from './types.js';
import { isRecord, valueAt } from './values.js';

/** Same shape as in the schema's duration definition; other strings were reported by it. */
const DURATION_SHAPE = /^([0-9]+(ms|s|m|h|d))+$/;
const DECISIONS = new Set<string>(DECISION_ORDER);
const TIMESTAMP_SHAPE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$/;

export function checkPolicy(value: unknown, loc: Locator): Diagnostic[] {
  const out: Diagnostic[] = [];
  const policy = stringAt(value, ['metadata', 'name']);
  const rules = valueAt(value, ['spec', 'rules']);
  if (!Array.isArray(rules)) return out;

  const firstById = new Map<string, number>();
  rules.forEach((rule, i) => {
    if (!isRecord(rule)) return;
    const at: Path = ['spec', 'rules', i];
    const id = typeof rule.id === 'string' ? rule.id : undefined;
    const ctx = { policy, rule: id };
    if (id !== undefined) {
      const first = firstById.get(id);
      if (first === undefined) {
        firstById.set(id, i);
      } else {
        const prev = loc.pos(['spec', 'rules', first, 'id']);
        out.push(
          makeDiagnostic({
            code: 'duplicate-rule-id',
            message: `duplicate rule id '${id}'; the first rule with this id is at line ${prev.line}`,
            hint: 'rule ids must be unique within a policy; rename one of the rules',
            ...loc.valueSpan([...at, 'id']),
            ...ctx,
          }),
        );
      }
    }

    // Only a valid decision can contradict other keys; an invalid one was reported by the schema.
    const decision = typeof rule.decision === 'string' && DECISIONS.has(rule.decision) ? rule.decision : undefined;
    if ('retry_after' in rule) {
      // On limit/budget rules `stateful-retry-after` says it better.
      if (decision !== undefined && decision !== 'throttle' && !isRecord(rule.limit) && !isRecord(rule.budget)) {
        out.push(
          makeDiagnostic({
            code: 'retry-after-not-throttle',
            message: `retry_after only applies to throttle rules, and this rule's decision is '${decision}'`,
            hint: 'remove retry_after, or set decision: throttle',
            ...loc.keySpan([...at, 'retry_after']),
            ...ctx,
          }),
        );
      }
      const text = rule.retry_after;
      if (typeof text === 'string' && DURATION_SHAPE.test(text)) {
        try {
          parseDuration(text);
        } catch (e) {
          if (!(e instanceof DurationError)) throw e;
          out.push(makeDiagnostic({ code: 'invalid-duration', message: e.message, hint: e.hint, ...loc.valueSpan([...at, 'retry_after']), ...ctx }));
        }
      }
    }

    const ops = Array.isArray(rule.modify) ? rule.modify.length : 0;
    if (ops > 0 && decision !== undefined && decision !== 'modify') {
      out.push(
        makeDiagnostic({
          code: 'modify-not-allowed',
          message: `modify operations only apply to rules with decision 'modify'; with decision '${decision}' they would never be applied`,
          hint: 'set decision: modify, or remove the modify list',
          ...loc.keySpan([...at, 'modify']),
          ...ctx,
        }),
      );
    }
    out.push(...checkStateful(rule, at, decision, loc, ctx));
    if (decision === 'modify' && ops === 0) {
      out.push(
        makeDiagnostic({
          code: 'modify-without-ops',
          message: "this rule's decision is 'modify' but it has no modify operations, so it changes nothing",
          hint: 'add a modify list (set, clamp or remove), or use decision: warn with suggest',
          ...loc.valueSpan([...at, 'decision']),
          ...ctx,
        }),
      );
    }
  });
  return out;
}

/** Checks of `limit` and `budget` rules that the schema cannot express. */
function checkStateful(rule: Record<string, unknown>, at: Path, decision: string | undefined, loc: Locator, ctx: { policy?: string; rule?: string }): Diagnostic[] {
  const out: Diagnostic[] = [];
  const hasLimit = isRecord(rule.limit);
  const hasBudget = isRecord(rule.budget);
  if (!hasLimit && !hasBudget) return out;
  const which = hasLimit ? 'limit' : 'budget';
  if (hasLimit && hasBudget) {
    out.push(
      makeDiagnostic({
        code: 'limit-and-budget',
        message: 'a rule may have a limit or a budget, not both',
        hint: 'split it into two rules, one with the limit and one with the budget',
        ...loc.keySpan([...at, 'budget']),
        ...ctx,
      }),
    );
  }
  if (decision !== undefined && decision !== 'throttle' && decision !== 'deny') {
    out.push(
      makeDiagnostic({
        code: 'stateful-decision',
        message: `a rule with a ${which} decides what happens to a request that would exceed it, which can only be throttle or deny, not '${decision}'`,
        hint: hasBudget ? "use decision: deny (or throttle); for a soft limit add warn_at to the budget" : 'use decision: throttle (or deny)',
        ...loc.valueSpan([...at, 'decision']),
        ...ctx,
      }),
    );
  }
  if ('retry_after' in rule) {
    out.push(
      makeDiagnostic({
        code: 'stateful-retry-after',
        message: `retry_after cannot be set on a rule with a ${which}: the engine computes when the request would fit`,
        hint: 'remove retry_after',
        ...loc.keySpan([...at, 'retry_after']),
        ...ctx,
      }),
    );
  }
  const durations: Path[] = [
    [...at, 'limit', 'window'],
    [...at, 'budget', 'reservation_ttl'],
    [...at, 'budget', 'period'],
  ];
  for (const path of durations) {
    const text = valueAt(rule, path.slice(at.length));
    if (typeof text !== 'string' || !DURATION_SHAPE.test(text)) continue;
    try {
      if (parseDuration(text) <= 0) throw new DurationError(`${fieldName(path)} must be longer than zero`, 'e.g. 1m, 1h or 1d');
    } catch (e) {
      if (!(e instanceof DurationError)) throw e;
      out.push(makeDiagnostic({ code: 'invalid-duration', message: e.message, hint: e.hint, ...loc.valueSpan(path), ...ctx }));
    }
  }
  if (hasBudget) {
    const b = rule.budget as Record<string, unknown>;
    const calendar = b.period === 'day' || b.period === 'week' || b.period === 'month';
    if (typeof b.timezone === 'string') {
      if (!calendar && typeof b.period === 'string') {
        out.push(
          makeDiagnostic({
            code: 'timezone-without-calendar',
            message: `timezone only applies to calendar periods (day, week, month); period ${quote(b.period)} is a rolling window`,
            hint: 'remove timezone, or use a calendar period',
            ...loc.keySpan([...at, 'budget', 'timezone']),
            ...ctx,
          }),
        );
      } else if (!validTimeZone(b.timezone)) {
        out.push(
          makeDiagnostic({
            code: 'invalid-timezone',
            message: `${quote(b.timezone)} is not a time zone this runtime knows`,
            hint: 'use an IANA name such as UTC, Europe/Paris or America/New_York',
            ...loc.valueSpan([...at, 'budget', 'timezone']),
            ...ctx,
          }),
        );
      }
    }
    if (b.on_exceed === 'clamp' && !isRecord(b.usage)) {
      out.push(
        makeDiagnostic({
          code: 'clamp-needs-usage',
          message: 'on_exceed: clamp needs `usage` (model, input_tokens, output_tokens) to work out how many output tokens the budget can pay for',
          hint: 'replace amount with usage: { model: request.model, input_tokens: ..., output_tokens: request.max_tokens }',
          ...loc.valueSpan([...at, 'budget', 'on_exceed']),
          ...ctx,
        }),
      );
    }
  }
  return out;
}

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function checkPolicyTest(value: unknown, loc: Locator): Diagnostic[] {
  const out: Diagnostic[] = [];
  const checkNow = (path: Path): void => {
    const v = valueAt(value, path);
    if (typeof v !== 'string' || !TIMESTAMP_SHAPE.test(v)) return;
    const problem = timestampProblem(v);
    if (problem !== undefined) {
      out.push(
        makeDiagnostic({
          code: 'invalid-timestamp',
          message: `${fieldName(path)} ${quote(v)} is not a valid time: ${problem}`,
          hint: 'e.g. 2025-03-01T09:30:00Z',
          ...loc.valueSpan(path),
        }),
      );
    }
  };
  checkNow(['spec', 'now']);
  const cases = valueAt(value, ['spec', 'cases']);
  if (!Array.isArray(cases)) return out;
  const firstByName = new Map<string, number>();
  cases.forEach((c, i) => {
    checkNow(['spec', 'cases', i, 'now']);
    const name = isRecord(c) && typeof c.name === 'string' ? c.name : undefined;
    if (name === undefined) return;
    const first = firstByName.get(name);
    if (first === undefined) {
      firstByName.set(name, i);
      return;
    }
    out.push(
      makeDiagnostic({
        code: 'duplicate-test-case',
        message: `duplicate test case name ${quote(name)}; the first case with this name is at line ${loc.pos(['spec', 'cases', first, 'name']).line}`,
        hint: 'give every case of a test its own name, so failures can be told apart',
        ...loc.valueSpan(['spec', 'cases', i, 'name']),
      }),
    );
  });
  return out;
}

function stringAt(value: unknown, path: Path): string | undefined {
  const v = valueAt(value, path);
  return typeof v === 'string' ? v : undefined;
}
