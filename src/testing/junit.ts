// JUnit XML for CI systems (GitHub, GitLab, Jenkins read it).

import type { TestRunResult } from './runner.js';

function esc(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    // Control characters other than tab/newline are not allowed in XML 1.0.
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '');
}

export function toJUnit(run: TestRunResult): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  // Errors in the test files themselves (a misspelt expect key, a bad `now`) drop those
  // documents and fail the run; report them as an error too, or CI would show a green report
  // for a red run.
  const fileErrors = run.diagnostics.filter((d) => d.severity === 'error');
  const extra = fileErrors.length ? 1 : 0;
  const total = run.suites.reduce((n, s) => n + Math.max(1, s.cases.length), 0) + extra;
  const failures = run.suites.reduce((n, s) => n + s.cases.filter((c) => !c.passed && !c.error).length, 0);
  const errors = run.suites.reduce((n, s) => n + s.cases.filter((c) => c.error).length + (s.loadErrors.length ? 1 : 0), 0) + extra;
  out.push(`<testsuites name="policy-engine test" tests="${total}" failures="${failures}" errors="${errors}">`);
  if (fileErrors.length) {
    out.push('  <testsuite name="test files" tests="1" failures="0" errors="1" time="0.000000">');
    out.push('    <testcase name="load test files" classname="test files">');
    out.push(`      <error message="test files have errors">${esc(fileErrors.map((d) => `${d.pos.file}:${d.pos.line}:${d.pos.column}: ${d.code}: ${d.message}`).join('\n'))}</error>`);
    out.push('    </testcase>');
    out.push('  </testsuite>');
  }
  for (const s of run.suites) {
    const time = s.cases.reduce((t, c) => t + c.durationMs, 0) / 1000;
    out.push(
      `  <testsuite name="${esc(s.name)}" file="${esc(s.file)}" tests="${Math.max(1, s.cases.length)}" failures="${s.cases.filter((c) => !c.passed && !c.error).length}" errors="${s.cases.filter((c) => c.error).length + (s.loadErrors.length ? 1 : 0)}" time="${time.toFixed(6)}">`,
    );
    if (s.loadErrors.length) {
      out.push(`    <testcase name="load policies" classname="${esc(s.name)}">`);
      out.push(`      <error message="policies failed to load">${esc(s.loadErrors.map((d) => `${d.pos.file}:${d.pos.line}:${d.pos.column}: ${d.message}`).join('\n'))}</error>`);
      out.push('    </testcase>');
    }
    for (const c of s.cases) {
      out.push(`    <testcase name="${esc(c.name)}" classname="${esc(s.name)}" time="${(c.durationMs / 1000).toFixed(6)}">`);
      if (c.error) out.push(`      <error message="${esc(c.error)}"/>`);
      else if (!c.passed) {
        const msg = c.differences.map((d) => `${d.field}: expected ${d.expected}, got ${d.actual}`).join('\n');
        out.push(`      <failure message="${esc(c.differences[0]?.field ?? 'failed')}">${esc(msg)}</failure>`);
      }
      out.push('    </testcase>');
    }
    const uncovered = s.coverage.filter((r) => !r.covered).map((r) => r.rule);
    if (uncovered.length) out.push(`    <system-out>${esc(`rules no case matched: ${uncovered.join(', ')}`)}</system-out>`);
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}
