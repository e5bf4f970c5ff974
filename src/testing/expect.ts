// Comparing a decision with a test case's expectations, producing readable
// differences ("expected deny, got allow"; "missing matched rule a/b").

import type { Decision } from '../engine/decision.js';
import type { TestExpectation } from '../policy/types.js';

export interface Difference {
  readonly field: string;
  readonly expected: string;
  readonly actual: string;
}

/** `policy/rule` when the expectation names the policy, else just the rule id. */
function ruleKey(policy: string, rule: string, qualified: boolean): string {
  return qualified ? `${policy}/${rule}` : rule;
}

function compareRuleSets(field: string, expected: readonly string[], actual: readonly { policy: string; rule: string }[]): Difference | undefined {
  const want = new Set(expected);
  const got = new Set(actual.map((m) => ruleKey(m.policy, m.rule, true)));
  // Entries without a slash match any policy's rule of that id.
  const gotBare = new Map(actual.map((m) => [m.rule, ruleKey(m.policy, m.rule, true)]));
  const missing: string[] = [];
  const matchedActual = new Set<string>();
  for (const w of want) {
    const hit = w.includes('/') ? (got.has(w) ? w : undefined) : gotBare.get(w);
    if (hit) matchedActual.add(hit);
    else missing.push(w);
  }
  const unexpected = [...got].filter((g) => !matchedActual.has(g));
  if (missing.length === 0 && unexpected.length === 0) return undefined;
  const parts: string[] = [];
  if (missing.length) parts.push(`missing ${missing.join(', ')}`);
  if (unexpected.length) parts.push(`unexpected ${unexpected.join(', ')}`);
  return { field, expected: `[${[...want].join(', ')}]`, actual: `[${[...got].join(', ')}] (${parts.join('; ')})` };
}

/** Whether `actual` contains `expected`: objects by their listed keys, arrays element-wise with equal length. */
export function containsSubset(actual: unknown, expected: unknown): boolean {
  if (expected === null || typeof expected !== 'object') return Object.is(actual, expected) || (typeof actual === 'number' && actual === expected);
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => containsSubset(actual[i], e));
  }
  if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;
  return Object.entries(expected).every(([k, v]) => containsSubset((actual as Record<string, unknown>)[k], v));
}

export function compareDecision(d: Decision, e: TestExpectation): Difference[] {
  const diffs: Difference[] = [];
  if (e.decision !== undefined && d.decision !== e.decision) diffs.push({ field: 'decision', expected: e.decision, actual: d.decision });
  if (e.matched !== undefined) {
    const diff = compareRuleSets('matched', e.matched, d.matched.filter((m) => m.mode === 'enforce'));
    if (diff) diffs.push(diff);
  }
  if (e.shadowMatched !== undefined) {
    const diff = compareRuleSets('shadow_matched', e.shadowMatched, d.matched.filter((m) => m.mode === 'shadow'));
    if (diff) diffs.push(diff);
  }
  if (e.reason !== undefined && d.reason !== e.reason) diffs.push({ field: 'reason', expected: JSON.stringify(e.reason), actual: JSON.stringify(d.reason) });
  if (e.reasonContains !== undefined && !d.reason.includes(e.reasonContains)) {
    diffs.push({ field: 'reason_contains', expected: JSON.stringify(e.reasonContains), actual: JSON.stringify(d.reason) });
  }
  if (e.obligations !== undefined && !containsSubset(d.obligations, e.obligations)) {
    diffs.push({ field: 'obligations', expected: JSON.stringify(e.obligations), actual: JSON.stringify(d.obligations) });
  }
  if (e.errors !== undefined && d.errors.length !== e.errors) {
    diffs.push({ field: 'errors', expected: String(e.errors), actual: `${d.errors.length}${d.errors.length ? ` (${d.errors.map((x) => x.message).join('; ')})` : ''}` });
  }
  return diffs;
}
