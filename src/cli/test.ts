// `policy-engine test PATH... [--junit FILE]`: run policy test suites.

import { writeFile } from 'node:fs/promises';
import { explainDecision } from '../engine/explain.js';
import { formatDiagnostic } from '../policy/diagnostic.js';
import { toJUnit } from '../testing/junit.js';
import { runPolicyTests } from '../testing/runner.js';
import { indent } from './output.js';

export async function testCommand(paths: string[], opts: { junit?: string; verbose?: boolean }): Promise<number> {
  const run = await runPolicyTests(paths);
  for (const d of run.diagnostics) console.error(formatDiagnostic(d) + '\n');
  let passed = 0;
  let failed = 0;
  let rules = 0;
  let covered = 0;
  for (const s of run.suites) {
    console.log(`${s.name} (${s.file})`);
    for (const d of s.loadErrors) console.log(indent(formatDiagnostic(d), '    '));
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
      if (c.decision) console.log(indent(explainDecision(c.decision), '        | '));
    }
    const uncovered = s.coverage.filter((r) => !r.covered);
    rules += s.coverage.length;
    covered += s.coverage.length - uncovered.length;
    if (s.coverage.length) {
      console.log(`  coverage: ${s.coverage.length - uncovered.length}/${s.coverage.length} rules matched by some case`);
      if (uncovered.length) console.log(`  not covered: ${uncovered.map((r) => r.rule).join(', ')}`);
    }
    console.log('');
  }
  if (run.suites.length === 0) console.error(`no PolicyTest documents found in ${paths.join(', ')}`);
  console.log(`${passed} passed, ${failed} failed in ${run.suites.length} suite${run.suites.length === 1 ? '' : 's'}; rule coverage ${covered}/${rules}`);
  if (opts.junit) {
    await writeFile(opts.junit, toJUnit(run));
    console.log(`JUnit report written to ${opts.junit}`);
  }
  return run.passed ? 0 : 1;
}
