// A validated PolicyTest document → PolicyTestDoc: snake_case expectations to camelCase.

import type { Locator } from './locator.js';
import type { RawExpectation, RawPolicyTest } from './raw.js';
import type { PolicyTestDoc, TestExpectation } from './types.js';

/** Relative to the test file: its own directory. */
export const DEFAULT_TEST_POLICIES: readonly string[] = ['.'];

export function buildPolicyTest(raw: RawPolicyTest, loc: Locator): PolicyTestDoc {
  const { spec } = raw;
  return {
    kind: 'PolicyTest',
    file: loc.file,
    pos: loc.pos([]),
    name: raw.metadata.name,
    policies: spec.policies ?? DEFAULT_TEST_POLICIES,
    ...(spec.now === undefined ? {} : { now: spec.now }),
    cases: spec.cases.map((c, i) => ({
      name: c.name,
      pos: loc.pos(['spec', 'cases', i]),
      context: c.context,
      expect: expectation(c.expect),
      ...(c.now === undefined ? {} : { now: c.now }),
      repeat: c.repeat ?? 1,
      ...(c.report_usage === undefined ? {} : { reportUsage: c.report_usage }),
    })),
  };
}

function expectation(e: RawExpectation): TestExpectation {
  const out: { -readonly [K in keyof TestExpectation]: TestExpectation[K] } = {};
  if (e.decision !== undefined) out.decision = e.decision;
  if (e.matched !== undefined) out.matched = e.matched;
  if (e.shadow_matched !== undefined) out.shadowMatched = e.shadow_matched;
  if (e.reason !== undefined) out.reason = e.reason;
  if (e.reason_contains !== undefined) out.reasonContains = e.reason_contains;
  if (e.obligations !== undefined) out.obligations = e.obligations;
  if (e.errors !== undefined) out.errors = e.errors;
  return out;
}
