// The example library (examples/policies, examples/contexts) through the real
// CLI: it validates together with the benchmark set, its test suites pass with
// every rule covered, and `npm run explain` (eval --explain over examples/contexts)
// stays clean: every context valid against the PolicySet's schema, no rule errors.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, test } from 'vitest';
import { assertBuilt, findAll, parseXml, run } from './helpers.js';

beforeAll(assertBuilt);

describe.concurrent('examples/', () => {
  test('policy-engine validate examples/policies bench/policies: OK without warnings', async ({ expect }) => {
    const r = await run(['validate', 'examples/policies', 'bench/policies']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^OK: \d+ policies, \d+ rules, \d+ test suites in \d+ files \(revision sha256:[0-9a-f]{16}\)\n$/);
  });

  test('policy-engine test examples/policies: every case passes and every rule is covered', async ({ expect }) => {
    const junit = join(mkdtempSync(join(tmpdir(), 'policy-engine-examples-')), 'junit.xml');
    const [t, v] = await Promise.all([run(['test', 'examples/policies', '--junit', junit]), run(['validate', 'examples/policies'])]);
    expect(t.code, t.stdout + t.stderr).toBe(0);
    expect(t.stderr).toBe('');
    expect(t.stdout).not.toContain('FAIL');
    expect(t.stdout).not.toContain('not covered');
    const suites = [...t.stdout.matchAll(/^ {2}coverage: (\d+)\/(\d+) rules matched by some case$/gm)];
    expect(suites.length).toBeGreaterThanOrEqual(3);
    for (const [line, covered, total] of suites) expect(covered, line).toBe(total);
    const summary = /^(\d+) passed, 0 failed in (\d+) suites; rule coverage (\d+)\/(\d+)$/m.exec(t.stdout);
    expect(summary, t.stdout).not.toBeNull();
    const [, passed, suiteCount, covered, total] = summary!.map(Number);
    expect(suiteCount).toBe(suites.length);
    expect(passed).toBeGreaterThanOrEqual(total!);
    expect(covered).toBe(total);
    // The suites between them cover every rule of the library, not just the rules they load.
    const ok = /^OK: (\d+) policies, (\d+) rules, (\d+) test suites in/.exec(v.stdout);
    expect(ok, v.stdout + v.stderr).not.toBeNull();
    expect(Number(ok![2])).toBe(total);
    expect(Number(ok![3])).toBe(suiteCount);
    // The JUnit report agrees.
    const xml = parseXml(readFileSync(junit, 'utf8'));
    expect(xml.attrs).toMatchObject({ tests: String(passed), failures: '0', errors: '0' });
    expect(findAll(xml, 'testsuite')).toHaveLength(suiteCount!);
    rmSync(dirname(junit), { recursive: true, force: true });
  });

  test('npm run explain: 3-5 readable explanations, and no context has errors or schema warnings', async ({ expect }) => {
    // The command behind `npm run explain` (package.json), and the same as JSON to inspect every decision.
    const [text, json] = await Promise.all([
      run(['eval', '--policies', 'examples/policies', '--input', 'examples/contexts', '--explain']),
      run(['eval', '--policies', 'examples/policies', '--input', 'examples/contexts']),
    ]);
    expect(text.code, text.stderr).toBe(0);
    const sections = text.stdout.split(/^== /m).slice(1);
    expect(sections.length).toBeGreaterThanOrEqual(3);
    expect(sections.length).toBeLessThanOrEqual(5);
    for (const s of sections) {
      expect(s).toMatch(/^examples\/contexts\/[\w.-]+\.json\n(ALLOW|DENY|THROTTLE|MODIFY|WARN): \S/);
      expect(s).not.toContain('Errors:');
      expect(s).not.toContain('Context schema warnings:');
    }
    expect(json.code, json.stderr).toBe(0);
    const decisions = JSON.parse(json.stdout) as { input: string; decision: { decision: string; errors: unknown[]; warnings: unknown[] } }[];
    for (const { input, decision } of decisions) {
      expect(decision.errors, input).toEqual([]);
      expect(decision.warnings, input).toEqual([]);
    }
    // The examples show a variety of outcomes, not five allows.
    expect(new Set(decisions.map((d) => d.decision.decision)).size).toBeGreaterThanOrEqual(3);
  });
});
