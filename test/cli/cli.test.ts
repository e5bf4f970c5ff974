// Integration tests of the `policy-engine` command: each test runs the real
// binary (node bin/policy-engine.js, i.e. the built dist/) as a user would and
// checks exit codes, stdout and stderr. Fixtures are in test/fixtures/cli/.
//
// Every spawn costs ~0.3 s, so the tests run concurrently (vitest runs at most
// 5 at a time) and each one groups related checks. Nothing here asserts a
// timing; `bench` is checked for structure only.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { FIX, ROOT, assertBuilt, findAll, parseDiagnostics, parseXml, run } from './helpers.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
let tmp: string;

beforeAll(() => {
  assertBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'policy-engine-cli-'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** The lines of a fixture file, to compare with the source lines diagnostics print. */
function fixtureLine(file: string, line: number): string {
  return readFileSync(join(ROOT, file), 'utf8').split('\n')[line - 1]!;
}

describe.concurrent('policy-engine validate', () => {
  test('valid policies: OK with policy, rule and file counts and a stable revision', async ({ expect }) => {
    const [a, b] = await Promise.all([run(['validate', `${FIX}/policies`]), run(['validate', `${FIX}/policies/models.yaml`, `${FIX}/policies/hours.yaml`])]);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stderr).toBe('');
    expect(a.stdout).toMatch(/^OK: 2 policies, 2 rules in 2 files \(revision sha256:[0-9a-f]{16}\)\n$/);
    // The same policies named file by file: same counts, same revision.
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toBe(a.stdout);
  });

  test('every error in several files and directories: file:line:col, code, source line with caret, hint; exit 1', async ({ expect }) => {
    const r = await run(['validate', `${FIX}/broken`, `${FIX}/warning/noop.yaml`, `${FIX}/policies`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const ds = parseDiagnostics(r.stderr);
    const brief = ds.map((d) => `${d.file}:${d.line}:${d.column} ${d.severity}[${d.code}]`);
    expect(brief).toEqual([
      `${FIX}/broken/cel-errors.yaml:9:35 error[cel-syntax]`,
      `${FIX}/broken/cel-errors.yaml:13:30 error[template-syntax]`,
      `${FIX}/broken/cel-errors.yaml:16:40 error[cel-syntax]`,
      `${FIX}/broken/schema-errors.yaml:9:7 error[unknown-key]`,
      `${FIX}/broken/schema-errors.yaml:12:17 error[invalid-value]`,
      `${FIX}/warning/noop.yaml:10:17 warning[modify-without-ops]`,
    ]);
    for (const d of ds) {
      // The printed source line is the file's line, and the caret is under the reported column.
      expect(d.source, `${d.code} prints its source line`).toBe(fixtureLine(d.file, d.line));
      expect(d.caretColumn, `${d.code} caret`).toBe(d.column);
      expect(d.message.length).toBeGreaterThan(10);
    }
    const byCode = new Map(ds.map((d) => [d.code, d]));
    expect(byCode.get('unknown-key')!.message).toContain("unknown key 'whne'");
    expect(byCode.get('unknown-key')!.hint).toMatch(/did you mean 'when'\?/);
    expect(byCode.get('unknown-key')!.caretWidth).toBe(4);
    expect(byCode.get('invalid-value')!.message).toContain('refuse');
    expect(byCode.get('modify-without-ops')!.hint).toBeTruthy();
    // The CEL syntax error inside the `when` string points at the second '>' of `> >`.
    const syntax = ds[0]!;
    expect(syntax.source!.slice(syntax.column - 1)).toBe('> 4096"');
    expect(ds[2]!.source!.slice(ds[2]!.column - 1, ds[2]!.column + 1)).toBe('& ');
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe('5 errors, 1 warning in 5 files');
  });

  test('warnings alone do not fail', async ({ expect }) => {
    const r = await run(['validate', `${FIX}/warning`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^OK: 1 policy, 1 rule in 1 file \(revision sha256:[0-9a-f]{16}\); 1 warning\n$/);
    expect(parseDiagnostics(r.stderr).map((d) => d.code)).toEqual(['modify-without-ops']);
  });

  test('a path that does not exist is an error', async ({ expect }) => {
    const r = await run(['validate', `${FIX}/no-such-dir`]);
    expect(r.code).toBe(1);
    expect(parseDiagnostics(r.stderr).map((d) => `${d.file}:${d.code}`)).toEqual([`${FIX}/no-such-dir:file-not-found`]);
  });
});

describe.concurrent('policy-engine eval', () => {
  const policies = ['--policies', `${FIX}/policies`];

  test('one context file: the decision as JSON on stdout', async ({ expect }) => {
    const r = await run(['eval', ...policies, '--input', `${FIX}/contexts/a-free.json`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const d = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(d).toMatchObject({
      decision: 'deny',
      allowed: false,
      reason: 'Model gpt-4o is not available on the free tier',
      matched: [{ policy: 'models', rule: 'free-tier', decision: 'deny', mode: 'enforce' }],
      obligations: { suggestions: [{ policy: 'models', rule: 'free-tier', values: { model: 'gpt-4o-mini' } }] },
      errors: [],
      cached: false,
    });
    expect(d.revision).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(d).not.toHaveProperty('trace');
  });

  test('a directory of contexts: an array of {input, decision}, .json files only, in name order; --now fixes now()', async ({ expect }) => {
    const [noon, evening] = await Promise.all([
      run(['eval', ...policies, '--input', `${FIX}/contexts`, '--now', '2025-01-15T12:00:00Z']),
      run(['eval', ...policies, '--input', `${FIX}/contexts`, '--now', '2025-01-15T20:00:00Z']),
    ]);
    expect(noon.code, noon.stderr).toBe(0);
    const out = JSON.parse(noon.stdout) as { input: string; decision: { decision: string; obligations: { retry_after_ms?: number } } }[];
    expect(out.map((x) => [x.input, x.decision.decision])).toEqual([
      [join(`${FIX}/contexts`, 'a-free.json'), 'deny'],
      [join(`${FIX}/contexts`, 'b-pro.json'), 'allow'],
      [join(`${FIX}/contexts`, 'c-batch.json'), 'throttle'],
    ]);
    expect(out[2]!.decision.obligations.retry_after_ms).toBe(30 * 60 * 1000);
    // At 20:00 UTC batch traffic is off-peak: the throttle rule does not match.
    expect(evening.code, evening.stderr).toBe(0);
    const later = JSON.parse(evening.stdout) as { decision: { decision: string } }[];
    expect(later.map((x) => x.decision.decision)).toEqual(['deny', 'allow', 'allow']);
  });

  test('--input - reads the context from stdin; --policies may be repeated', async ({ expect }) => {
    const input = JSON.stringify({ request: { model: 'gpt-4o' }, user: { tier: 'free' } });
    const [dir, files] = await Promise.all([
      run(['eval', ...policies, '--input', '-'], { input }),
      run(['eval', '-p', `${FIX}/policies/models.yaml`, '-p', `${FIX}/policies/hours.yaml`, '-i', '-'], { input }),
    ]);
    expect(dir.code, dir.stderr).toBe(0);
    const a = JSON.parse(dir.stdout) as { decision: string; revision: string };
    expect(a.decision).toBe('deny');
    expect(files.code, files.stderr).toBe(0);
    const b = JSON.parse(files.stdout) as { decision: string; revision: string };
    expect([b.decision, b.revision]).toEqual([a.decision, a.revision]);
  });

  test('--explain prints a readable explanation; with a directory, one section per context', async ({ expect }) => {
    const [one, dir] = await Promise.all([
      run(['eval', ...policies, '-i', `${FIX}/contexts/a-free.json`, '--explain']),
      run(['eval', ...policies, '-i', `${FIX}/contexts`, '--explain', '--now', '2025-01-15T12:00:00Z']),
    ]);
    expect(one.code, one.stderr).toBe(0);
    expect(() => JSON.parse(one.stdout)).toThrow();
    const lines = one.stdout.split('\n');
    expect(lines[0]).toBe('DENY: Model gpt-4o is not available on the free tier');
    expect(lines[1]).toMatch(/^ {2}allowed: false {3}revision: sha256:[0-9a-f]{16} {3}time: [\d.]+ us {3}id: \S+$/);
    expect(one.stdout).toContain('Matched rules, in evaluation order:\n  deny     models/free-tier [high]: Model gpt-4o is not available on the free tier');
    expect(one.stdout).toContain('Obligations:\n  suggest model=gpt-4o-mini  (models/free-tier)');
    expect(one.stdout).not.toContain('Trace:');

    expect(dir.code, dir.stderr).toBe(0);
    const headers = dir.stdout.split('\n').filter((l) => l.startsWith('== '));
    expect(headers).toEqual(['a-free.json', 'b-pro.json', 'c-batch.json'].map((f) => `== ${join(`${FIX}/contexts`, f)}`));
    expect(dir.stdout).toContain('THROTTLE: Batch traffic runs outside 08:00-18:00 UTC');
    expect(dir.stdout).toContain('retry after 1800000 ms');
  });

  test('--trace adds a trace of every rule (JSON and --explain)', async ({ expect }) => {
    const ctx = `${FIX}/contexts/a-free.json`;
    const [json, text] = await Promise.all([run(['eval', ...policies, '-i', ctx, '--trace']), run(['eval', ...policies, '-i', ctx, '--trace', '--explain'])]);
    expect(json.code, json.stderr).toBe(0);
    const d = JSON.parse(json.stdout) as { trace: { policy: string; rule: string; result: string; why: string; conditions: unknown[] }[] };
    expect(d.trace.map((t) => `${t.policy}/${t.rule}: ${t.result}`).sort()).toEqual(['hours/batch-off-peak: not_matched', 'models/free-tier: matched']);
    for (const t of d.trace) expect(t.why.length).toBeGreaterThan(0);
    expect(d.trace.find((t) => t.rule === 'free-tier')!.conditions).toContainEqual(
      expect.objectContaining({ part: 'when', value: 'true', inputs: expect.arrayContaining([{ expression: 'user.tier', value: "'free'" }]) }),
    );
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('\nTrace:\n');
    expect(text.stdout).toMatch(/^ {2}MATCHED {5}models\/free-tier: when `.*` is true$/m);
    expect(text.stdout).toMatch(/^ {2}NOT_MATCHED hours\/batch-off-peak: when `.*` is false$/m);
    expect(text.stdout).toContain("      user.tier = 'free'");
  });

  test('bad input is a usage error (exit 2) with a clear message and no stack trace', async ({ expect }) => {
    const cases: [string[], RegExp, string?][] = [
      [['-i', `${FIX}/bad-contexts/truncated.json`], /^error: test\/fixtures\/cli\/bad-contexts\/truncated\.json: not valid JSON: /],
      [['-i', `${FIX}/bad-contexts/array.json`], /^error: test\/fixtures\/cli\/bad-contexts\/array\.json: the context must be a JSON object/],
      [['-i', `${FIX}/bad-contexts`], /^error: test\/fixtures\/cli\/bad-contexts\/\S+\.json: /],
      [['-i', `${FIX}/contexts/missing.json`], /^error: --input test\/fixtures\/cli\/contexts\/missing\.json: no such file or directory/],
      [['-i', `${FIX}/no-tests`], /^error: --input test\/fixtures\/cli\/no-tests: the directory has no \.json files/],
      [['-i', '-'], /^error: <stdin>: not valid JSON/, '{"request": '],
      [['-i', '-'], /^error: <stdin>: the context must be a JSON object/, '"just a string"'],
      [['-i', `${FIX}/contexts/a-free.json`, '--now', 'yesterday'], /^error: --now yesterday: .*RFC 3339/],
    ];
    const results = await Promise.all(cases.map(([args, , input]) => run(['eval', ...policies, ...args], { input })));
    results.forEach((r, i) => {
      const [args, message] = cases[i]!;
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr, args.join(' ')).not.toMatch(/^\s+at /m);
      expect(r.stdout, args.join(' ')).toBe('');
    });
  });

  test('missing --policies or --input is a usage error', async ({ expect }) => {
    const [noPolicies, noInput] = await Promise.all([run(['eval', '-i', `${FIX}/contexts/a-free.json`]), run(['eval', ...policies])]);
    expect(noPolicies.code).toBe(2);
    expect(noPolicies.stderr).toContain('--policies');
    expect(noInput.code).toBe(2);
    expect(noInput.stderr).toMatch(/required option '-i, --input <file>' not specified/);
  });

  test('policies that do not compile: exit 1 with the diagnostics, no decision', async ({ expect }) => {
    const r = await run(['eval', '--policies', `${FIX}/broken/cel-errors.yaml`, '--input', `${FIX}/contexts/a-free.json`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const ds = parseDiagnostics(r.stderr);
    expect(ds.map((d) => `${d.line}:${d.column} ${d.code}`)).toEqual(['9:35 cel-syntax', '13:30 template-syntax', '16:40 cel-syntax']);
    for (const d of ds) expect(d.caretColumn).toBe(d.column);
  });
});

describe.concurrent('--pricing', () => {
  const POLICY = `apiVersion: policy.llm/v1
kind: Policy
metadata: { name: p }
spec:
  rules:
    - id: pricey
      when: "cost(request.model, 1000000, 0) > 1.0"
      decision: deny
      reason: "costs $\${cost(request.model, 1000000, 0)} per 1M input tokens"
---
apiVersion: policy.llm/v1
kind: PolicyTest
metadata: { name: prices }
spec:
  policies: [p.yaml]
  cases:
    - name: acme-1 is priced by the file
      context: { request: { model: acme-1 } }
      expect: { decision: deny, reason: "costs $2 per 1M input tokens", errors: 0 }
`;

  test('eval and test take prices from a file, applied over the shipped table; a bad file is a usage error', async ({ expect }) => {
    const dir = mkdtempSync(join(tmp, 'pricing-'));
    writeFileSync(join(dir, 'p.yaml'), POLICY);
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ request: { model: 'acme-1' } }));
    writeFileSync(join(dir, 'prices.json'), JSON.stringify({ providers: { acme: { models: { 'acme-1': { input: 2, output: 4 } } } } }));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ providers: { acme: { models: { 'acme-1': { input: -2 } } } } }));
    const [without, withPrices, tested, bad, missing] = await Promise.all([
      run(['eval', '-p', join(dir, 'p.yaml'), '-i', join(dir, 'c.json')]),
      run(['eval', '-p', join(dir, 'p.yaml'), '-i', join(dir, 'c.json'), '--pricing', join(dir, 'prices.json')]),
      run(['test', join(dir, 'p.yaml'), '--pricing', join(dir, 'prices.json')]),
      run(['eval', '-p', join(dir, 'p.yaml'), '-i', join(dir, 'c.json'), '--pricing', join(dir, 'bad.json')]),
      run(['test', join(dir, 'p.yaml'), '--pricing', join(dir, 'nope.json')]),
    ]);
    expect(without.code).toBe(0);
    expect(JSON.parse(without.stdout).errors[0].message).toBe("unknown model 'acme-1': add it to the pricing table");
    expect(withPrices.code, withPrices.stderr).toBe(0);
    expect(JSON.parse(withPrices.stdout)).toMatchObject({ decision: 'deny', reason: 'costs $2 per 1M input tokens', errors: [] });
    expect(tested.code, tested.stdout).toBe(0);
    expect(tested.stdout).toContain('ok    acme-1 is priced by the file');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`--pricing ${join(dir, 'bad.json')} is invalid:\n  - providers.acme.models.acme-1.input: must be a non-negative number`);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`--pricing ${join(dir, 'nope.json')}: cannot read the file (ENOENT)`);
  });
});

describe.concurrent('policy-engine test', () => {
  test('failing cases: differences, an explanation with a trace, coverage, summary; exit 1; --junit writes the report', async ({ expect }) => {
    const junit = join(tmp, 'reports', 'nested', 'junit.xml'); // the directories do not exist yet
    const r = await run(['test', `${FIX}/failing-tests`, '--junit', junit]);
    expect(r.code, r.stderr).toBe(1);
    const out = r.stdout;
    expect(out).toContain(`models-failing (${FIX}/failing-tests/models.test.yaml)\n`);
    expect(out).toMatch(/^ {2}ok {4}pro users may use gpt-4o \([\d.]+ ms\)$/m);
    expect(out).toContain('  FAIL  free users may use gpt-4o (wrong on purpose)\n');
    expect(out).toContain('        decision: expected allow, got deny\n');
    expect(out).toContain('        reason_contains: expected "welcome", got "Model gpt-4o is not available on the free tier"\n');
    // The explanation of the failing case, every line of it prefixed, with the trace.
    const explanation = out.split('\n').filter((l) => l.startsWith('        |'));
    expect(explanation[0]).toBe('        | DENY: Model gpt-4o is not available on the free tier');
    expect(explanation).toContain('        | Trace:');
    expect(explanation.some((l) => /MATCHED {5}models\/free-tier/.test(l))).toBe(true);
    expect(out).toContain('  coverage: 1/2 rules matched by some case\n  not covered: hours/batch-off-peak\n');
    expect(out).toMatch(/^1 passed, 1 failed in 1 suite; rule coverage 1\/2 \(not covered by any suite: hours\/batch-off-peak\)$/m);
    expect(out).toContain(`JUnit report written to ${junit}`);

    const xml = parseXml(readFileSync(junit, 'utf8'));
    expect(xml.name).toBe('testsuites');
    expect(xml.attrs).toMatchObject({ tests: '2', failures: '1', errors: '0' });
    const suites = findAll(xml, 'testsuite');
    expect(suites.map((s) => [s.attrs.name, s.attrs.tests, s.attrs.failures, s.attrs.errors])).toEqual([['models-failing', '2', '1', '0']]);
    const cases = findAll(xml, 'testcase');
    expect(cases.map((c) => c.attrs.name)).toEqual(['pro users may use gpt-4o', 'free users may use gpt-4o (wrong on purpose)']);
    expect(cases.map((c) => findAll(c, 'failure').length)).toEqual([0, 1]);
    const failure = findAll(cases[1]!, 'failure')[0]!;
    expect(failure.text).toContain('decision: expected allow, got deny');
    expect(failure.text).toContain('reason_contains: expected "welcome"'); // &quot; decoded
    expect(findAll(xml, 'system-out')[0]!.text).toContain('hours/batch-off-peak');
  });

  test('broken suites: unloadable policies and invalid test documents fail the run and the JUnit report', async ({ expect }) => {
    const junit = join(tmp, 'broken.xml');
    const r = await run(['test', `${FIX}/bad-tests`, '--junit', junit]);
    expect(r.code).toBe(1);
    // The misspelt expectation key: reported on stderr with its position and a hint.
    const typo = parseDiagnostics(r.stderr);
    expect(typo.map((d) => `${d.file}:${d.line}:${d.column} ${d.code}`)).toEqual([`${FIX}/bad-tests/broken.test.yaml:23:17 unknown-key`]);
    expect(typo[0]!.hint).toMatch(/did you mean 'decision'\?/);
    // The suite whose policies do not compile: no case ran, the compile errors are shown.
    expect(r.stdout).toContain('unloadable (');
    expect(r.stdout).toContain('the policies under test did not load; no case ran:');
    expect(parseDiagnostics(r.stdout).map((d) => `${d.line}:${d.column} ${d.code}`)).toEqual(['9:35 cel-syntax', '13:30 template-syntax', '16:40 cel-syntax']);
    expect(r.stdout).toMatch(/^0 passed, 0 failed in 1 suite \(1 could not load its policies\); rule coverage 0\/0$/m);
    const xml = parseXml(readFileSync(junit, 'utf8'));
    expect(xml.attrs).toMatchObject({ tests: '2', failures: '0', errors: '2' });
    expect(findAll(xml, 'error')).toHaveLength(2);
  });

  test('passing suites: exit 0; the summary counts each rule once across suites sharing policies; --junit', async ({ expect }) => {
    const junit = join(tmp, 'passing.xml');
    const r = await run(['test', `${FIX}/overlapping-tests`, '--junit', junit]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    // Per suite: 1 of the 2 rules each; together: both.
    expect([...r.stdout.matchAll(/^ {2}coverage: (.*)$/gm)].map((m) => m[1])).toEqual(['1/2 rules matched by some case', '1/2 rules matched by some case']);
    expect(r.stdout).toMatch(/^3 passed, 0 failed in 2 suites; rule coverage 2\/2$/m);
    const xml = parseXml(readFileSync(junit, 'utf8'));
    expect(xml.attrs).toMatchObject({ tests: '3', failures: '0', errors: '0' });
    expect(findAll(xml, 'testsuite').map((s) => `${s.attrs.name}:${s.attrs.tests}`)).toEqual(['free-tier:1', 'off-peak:2']);
    expect(findAll(xml, 'failure').length + findAll(xml, 'error').length).toBe(0);
  });

  test('no PolicyTest documents: non-zero exit and a message', async ({ expect }) => {
    const r = await run(['test', `${FIX}/no-tests`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`no PolicyTest documents found in ${FIX}/no-tests`);
  });
});

// Each run starts several processes; on a busy 2-core machine that can take longer than the default 30 s.
describe.concurrent('policy-engine bench', { timeout: 90_000 }, () => {
  // Structure only: timings vary from run to run and machine to machine.
  test('prints the table', async ({ expect }) => {
    const r = await run(['bench', '--seconds', '0.2'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^policy set: \d+ policies, \d+ rules, \d+ contexts \(.+\)$/);
    expect(lines[1]).toMatch(/^compile \(load \+ parse \+ check \+ compile\): cold [\d.]+ ms, warm [\d.]+ ms$/);
    const row = /^(engine uncached|engine cached|@bufbuild\/cel \S+) +p50 +\S+ \S*s +p99 +\S+ \S*s +mean +\S+ \S*s +[\d,]+ evals\/s$/;
    const rows = lines.filter((l) => row.test(l)).map((l) => row.exec(l)![1]);
    expect(rows.slice(0, 2)).toEqual(['engine uncached', 'engine cached']);
    expect(r.stdout).toMatch(/^engine llm built-ins +p50 +\S+ \S*s +p99 .* evals\/s$/m);
    expect(r.stdout).toMatch(/^memory store check +p50 +\S+ \S*s +p99 .* checks\/s$/m);
    // The suite runs with Redis at 127.0.0.1:6379: every check must be one round trip.
    expect(r.stdout).toMatch(/^redis store check +p50 /m);
    expect(r.stdout).toContain('redis round trips per check: 1 (redis://127.0.0.1:6379)');
    expect(r.stdout).toMatch(/^evaluation \+ limits, redis +p50 /m);
  });

  test('--only runs the scenarios named; a dead Redis skips the Redis part with a note', async ({ expect }) => {
    const r = await run(['bench', '--only', 'limits', '--redis-url', 'redis://127.0.0.1:1', '--seconds', '0.05', '--json'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown> & { limits: { store: Record<string, unknown>; engine: Record<string, unknown> } };
    expect('engine uncached' in j || 'llm' in j).toBe(false);
    expect(j.limits.store).toMatchObject({ memory: { p50_us: expect.any(Number) }, redis_skipped: expect.stringMatching(/^Redis at redis:\/\/127.0.0.1:1 unreachable/) });
    expect(j.limits.engine).toMatchObject({ memory: { p50: expect.any(Number) } });
    expect(j.limits.engine.redis).toBeUndefined();
  });

  test('--json prints only JSON with the expected keys', async ({ expect }) => {
    const r = await run(['bench', '--seconds', '0.2', '--json'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, Record<string, unknown>>;
    expect(j).toMatchObject({ policies: expect.any(Number), rules: expect.any(Number), contexts: expect.any(Number), compile_ms: { cold: expect.any(Number), warm: expect.any(Number) } });
    for (const k of ['engine uncached', 'engine cached']) {
      expect(Object.keys(j[k]!).sort()).toEqual(['mean_ns', 'ops_per_second', 'p50_ns', 'p90_ns', 'p99_ns', 'samples']);
      for (const v of Object.values(j[k]!)) expect(v).toEqual(expect.any(Number));
    }
    expect(j.llm).toMatchObject({ p50_ns: expect.any(Number), ops_per_second: expect.any(Number) });
    expect(j.limits).toMatchObject({ store: { memory: { p50_us: expect.any(Number) }, redis: { p50_us: expect.any(Number) }, round_trips_per_check: 1 } });
    if ('reference' in j) expect(j.reference).toMatchObject({ name: '@bufbuild/cel', version: expect.any(String), p50_ratio: expect.any(Number), throughput_ratio: expect.any(Number) });
  });

  test('--policies and --input: the example library (the comparison is skipped if the reference cannot run it)', async ({ expect }) => {
    const r = await run(['bench', '--policies', 'examples/policies', '--input', 'examples/contexts', '--only', 'uncached,cached,reference', '--seconds', '0.02', '--json'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(j).toMatchObject({ contexts: 5, 'engine uncached': { p50_ns: expect.any(Number) }, 'engine cached': { p50_ns: expect.any(Number) } });
    expect('reference' in j || typeof j.reference_skipped === 'string').toBe(true);
  });

  test('bad options are usage errors', async ({ expect }) => {
    const [zero, nan, noDir, only] = await Promise.all([
      run(['bench', '--seconds', '0']),
      run(['bench', '--seconds', 'soon']),
      run(['bench', '--seconds', '0.01', '--input', `${FIX}/no-such-dir`]),
      run(['bench', '--only', 'llm,fast']),
    ]);
    expect([zero.code, nan.code, noDir.code, only.code]).toEqual([2, 2, 2, 2]);
    expect(only.stderr).toContain("--only: unknown scenario 'fast'; scenarios are uncached, cached, reference, llm, limits");
    expect(zero.stderr).toContain('--seconds must be a positive number, got 0');
    expect(nan.stderr).toContain('--seconds must be a positive number, got soon');
    expect(noDir.stderr).toMatch(/^error: --input .*no-such-dir/);
    expect(noDir.stderr).not.toMatch(/^\s+at /m);
  });
});

describe('the XML parser used for JUnit reports', () => {
  test('accepts well-formed XML and rejects malformed XML', ({ expect }) => {
    const el = parseXml('<?xml version="1.0"?>\n<a x="1 &amp; 2"><b/><c>&lt;ok&gt; &#65;</c></a>\n');
    expect([el.name, el.attrs.x, el.children.map((c) => c.name), el.children[1]!.text]).toEqual(['a', '1 & 2', ['b', 'c'], '<ok> A']);
    for (const bad of ['<a><b></a>', '<a x="1" x="2"/>', '<a>&nbsp;</a>', '<a>1 < 2</a>', '<a>x</a><b/>', '<a x=1/>', '<a>', '<a>\u0001</a>']) {
      expect(() => parseXml(bad), bad).toThrow(/invalid XML/);
    }
  });
});

describe.concurrent('usage', () => {
  test('--help lists every command; each command has its own help', async ({ expect }) => {
    const [top, evalHelp, testHelp, benchHelp, validateHelp] = await Promise.all([
      run(['--help']),
      run(['eval', '--help']),
      run(['test', '--help']),
      run(['bench', '--help']),
      run(['validate', '-h']),
    ]);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/^Usage: policy-engine \[options\] \[command\]/);
    for (const c of ['validate <paths...>', 'eval [options]', 'test [options] <paths...>', 'bench [options]']) expect(top.stdout).toContain(c);
    expect(evalHelp.code).toBe(0);
    for (const o of ['--policies <path>', '--input <file>', '--trace', '--explain', '--now <time>']) expect(evalHelp.stdout).toContain(o);
    expect(testHelp.stdout).toContain('--junit <file>');
    for (const o of ['--policies <path>', '--input <dir>', '--seconds <n>', '--json']) expect(benchHelp.stdout).toContain(o);
    expect(validateHelp.stdout).toContain('Usage: policy-engine validate [options] <paths...>');
  });

  test('--version prints the package version', async ({ expect }) => {
    const [long, short] = await Promise.all([run(['--version']), run(['-V'])]);
    expect([long.code, long.stdout]).toEqual([0, `${pkg.version}\n`]);
    expect([short.code, short.stdout]).toEqual([0, `${pkg.version}\n`]);
  });

  test('unknown commands and options, missing arguments: exit 2 with the reason and usage', async ({ expect }) => {
    const [cmd, opt, arg, none] = await Promise.all([run(['frobnicate']), run(['validate', '--frob', 'x']), run(['validate']), run([])]);
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toContain("error: unknown command 'frobnicate'");
    expect(opt.code).toBe(2);
    expect(opt.stderr).toContain("error: unknown option '--frob'");
    expect(opt.stderr).toContain('Usage: policy-engine validate');
    expect(arg.code).toBe(2);
    expect(arg.stderr).toContain("error: missing required argument 'paths'");
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: policy-engine');
  });
});
