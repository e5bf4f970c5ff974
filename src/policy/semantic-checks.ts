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
      if (decision !== undefined && decision !== 'throttle') {
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
