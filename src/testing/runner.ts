// Runs policy test suites (PolicyTest documents): each case's context is
// evaluated against the suite's policies and compared with its expectations.
// Also measures rule coverage: which rules no case made match.

import { dirname, resolve } from 'node:path';
import type { Decision } from '../engine/decision.js';
import { PolicyEngine, PolicyLoadError } from '../engine/engine.js';
import type { Pricing } from '../functions/pricing.js';
import { loadPolicySources } from '../policy/load.js';
import type { Diagnostic, PolicyTestDoc } from '../policy/types.js';
import { type Difference, compareDecision } from './expect.js';

export interface CaseResult {
  readonly name: string;
  readonly passed: boolean;
  readonly differences: readonly Difference[];
  readonly decision?: Decision;
  /** Set when the case could not run (bad `now`, engine error). */
  readonly error?: string;
  readonly durationMs: number;
}

export interface SuiteResult {
  readonly name: string;
  readonly file: string;
  readonly cases: readonly CaseResult[];
  /** Problems loading this suite's policies; the cases did not run. */
  readonly loadErrors: readonly Diagnostic[];
  /** Rules of the suite's policies (policy/rule) and whether any case matched them. */
  readonly coverage: readonly { readonly rule: string; readonly covered: boolean }[];
}

export interface TestRunResult {
  readonly suites: readonly SuiteResult[];
  /** Problems in the test files themselves. */
  readonly diagnostics: readonly Diagnostic[];
  readonly passed: boolean;
}

/** Finds PolicyTest documents under `paths` and runs them. */
export interface TestRunOptions {
  /** The prices of every suite's engine (default: the shipped table). */
  readonly pricing?: Pricing;
}

export async function runPolicyTests(paths: readonly string[], options: TestRunOptions = {}): Promise<TestRunResult> {
  const loaded = await loadPolicySources(paths);
  const diagnostics = loaded.diagnostics.filter((d) => d.severity === 'error');
  const suites: SuiteResult[] = [];
  for (const doc of loaded.documents) {
    if (doc.kind === 'PolicyTest') suites.push(await runSuite(doc, options));
  }
  const passed = diagnostics.length === 0 && suites.length > 0 && suites.every((s) => s.loadErrors.length === 0 && s.cases.every((c) => c.passed));
  return { suites, diagnostics, passed };
}

async function runSuite(doc: PolicyTestDoc, options: TestRunOptions): Promise<SuiteResult> {
  const base = dirname(doc.file);
  const builder = PolicyEngine.builder().withCacheCapacity(0);
  if (options.pricing) builder.withPricing(options.pricing);
  for (const p of doc.policies) builder.withPolicyDir(resolve(base, p));
  let engine: PolicyEngine;
  try {
    engine = await builder.build();
  } catch (e) {
    if (e instanceof PolicyLoadError) return { name: doc.name, file: doc.file, cases: [], loadErrors: e.diagnostics.filter((d) => d.severity === 'error'), coverage: [] };
    throw e;
  }
  const matchedRules = new Set<string>();
  const cases: CaseResult[] = [];
  for (const c of doc.cases) {
    const t0 = performance.now();
    try {
      const now = c.now ?? doc.now;
      // Limits and budgets keep state across the cases of a suite (in order): `repeat` evaluates
      // the context several times, `report_usage` settles each decision's reservations.
      // The last evaluation carries a trace, shown when the case fails (evaluating again to get one
      // would count against limits a second time).
      let decision = await engine.evaluate(c.context, { now, trace: c.repeat === 1 });
      for (let i = 1; i <= c.repeat; i++) {
        if (i > 1) decision = await engine.evaluate(c.context, { now, trace: i === c.repeat });
        if (c.reportUsage) await engine.reportUsage(decision.decision_id, c.reportUsage);
      }
      for (const m of decision.matched) matchedRules.add(`${m.policy}/${m.rule}`);
      const differences = compareDecision(decision, c.expect);
      cases.push({ name: c.name, passed: differences.length === 0, differences, decision, durationMs: performance.now() - t0 });
    } catch (e) {
      cases.push({ name: c.name, passed: false, differences: [], error: e instanceof Error ? e.message : String(e), durationMs: performance.now() - t0 });
    }
  }
  const coverage = engine.policies().flatMap((p) => p.rules.map((r) => ({ rule: `${p.name}/${r.id}`, covered: matchedRules.has(`${p.name}/${r.id}`) })));
  return { name: doc.name, file: doc.file, cases, loadErrors: [], coverage };
}
