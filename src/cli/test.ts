// `policy-engine test PATH... [--junit FILE]`: run policy test suites.

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { explainDecision } from '../engine/explain.js';
import { toJUnit } from '../testing/junit.js';
import { runPolicyTests } from '../testing/runner.js';
import { formatForCli, indent } from './output.js';
import { readPricingOption } from './pricing-option.js';

export async function testCommand(paths: string[], opts: { junit?: string; verbose?: boolean; pricing?: string }): Promise<number> {
  const pricing = opts.pricing === undefined ? undefined : await readPricingOption(opts.pricing);
  const run = await runPolicyTests(paths, { pricing });
  for (const d of run.diagnostics) console.error(formatForCli(d) + '\n');
  let passed = 0;
  let failed = 0;
  let unloaded = 0;
  // Rule coverage over the whole run: a rule counts once however many suites load it, and is
  // covered when any suite's case matched it. (Summing the per-suite counts double-counted
  // rules shared by suites, e.g. two suites both testing the whole directory.)
  const coverage = new Map<string, boolean>();
  for (const s of run.suites) {
    console.log(`${s.name} (${s.file})`);
    if (s.loadErrors.length) {
      unloaded++;
      console.log('  the policies under test did not load; no case ran:');
    }
    for (const d of s.loadErrors) console.log(indent(formatForCli(d), '    '));
    for (const c of s.cases) {
      if (c.passed) {
        passed++;
        console.log(`  ok    ${c.name} (${c.durationMs.toFixed(1)} ms)`);
        continue;
      }
      failed++;
      console.log(`  FAIL  ${c.name}`);
      if (c.error) console.log(`        error: ${c.error}`);
      for (const d of c.differences) console.log(`        ${d.field}: expected ${d.expected}, got ${d.actual}`);
      // Prefix every line, blank ones included, so the explanation reads as one block.
      if (c.decision) console.log(explainDecision(c.decision).split('\n').map((l) => `        | ${l}`.trimEnd()).join('\n'));
    }
    const uncovered = s.coverage.filter((r) => !r.covered);
    for (const r of s.coverage) coverage.set(r.rule, (coverage.get(r.rule) ?? false) || r.covered);
    if (s.coverage.length) {
      console.log(`  coverage: ${s.coverage.length - uncovered.length}/${s.coverage.length} rules matched by some case`);
      if (uncovered.length) console.log(`  not covered: ${uncovered.map((r) => r.rule).join(', ')}`);
    }
    console.log('');
  }
  if (run.suites.length === 0) console.error(`no PolicyTest documents found in ${paths.join(', ')}`);
  const covered = [...coverage.values()].filter(Boolean).length;
  const notCovered = [...coverage].filter(([, c]) => !c).map(([r]) => r);
  console.log(
    `${passed} passed, ${failed} failed in ${run.suites.length} suite${run.suites.length === 1 ? '' : 's'}` +
      `${unloaded ? ` (${unloaded} could not load ${unloaded === 1 ? 'its' : 'their'} policies)` : ''}` +
      `; rule coverage ${covered}/${coverage.size}${notCovered.length ? ` (not covered by any suite: ${notCovered.join(', ')})` : ''}`,
  );
  if (opts.junit) {
    // CI report paths are often in a directory that does not exist yet (reports/junit.xml).
    await mkdir(dirname(opts.junit), { recursive: true });
    await writeFile(opts.junit, toJUnit(run));
    console.log(`JUnit report written to ${opts.junit}`);
  }
  return run.passed ? 0 : 1;
}
