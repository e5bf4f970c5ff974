// Reloads: changed files are picked up; a broken change keeps the old set
// serving; evaluations running during a reload see the old or the new set,
// never a failure; unchanged policies are not recompiled.

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FunctionDecl, globalOverload } from '../../src/cel/library/overload.js';
import { T } from '../../src/cel/types.js';
import { PolicyEngine, type ReloadResult } from '../../src/engine/engine.js';
import { policy, tempDir, yamlOf } from './helpers.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});
afterEach(() => cleanup());

const write = (name: string, text: string) => writeFileSync(join(dir, name), text);
const modelRule = (decision: string, model = 'x') => yamlOf(policy('models', { rules: [{ id: 'r', when: `request.model == '${model}'`, decision, reason: `${decision} ${model}` }] }));
const ctx = { request: { model: 'x' } };

describe('reload', () => {
  it('picks up changed, added and removed files', async () => {
    write('a.yaml', modelRule('warn'));
    const engine = await PolicyEngine.builder().withPolicyDir(dir).build();
    const first = engine.revision;
    expect(engine.evaluateSync(ctx).decision).toBe('warn');

    write('a.yaml', modelRule('deny'));
    const r = await engine.reload();
    expect(r).toMatchObject({ ok: true, diagnostics: [] });
    expect(r.revision).not.toBe(first);
    expect(engine.revision).toBe(r.revision);
    expect(engine.evaluateSync(ctx)).toMatchObject({ decision: 'deny', revision: r.revision });

    write('b.yaml', yamlOf(policy('extra', { rules: [{ id: 'r', when: 'true', decision: 'throttle' }] })));
    await engine.reload();
    expect(engine.policies().map((p) => p.name)).toEqual(['extra', 'models']);
    rmSync(join(dir, 'a.yaml'));
    await engine.reload();
    expect(engine.policies().map((p) => p.name)).toEqual(['extra']);
    expect(engine.stats()).toMatchObject({ reloads: 4, reloadFailures: 0 });
  });

  it('keeps the old revision serving when a change is broken, and reports why', async () => {
    write('a.yaml', modelRule('warn'));
    const engine = await PolicyEngine.builder().withPolicyDir(dir).build();
    const good = engine.revision;

    write('a.yaml', modelRule('deny').replace("request.model == 'x'", "request.model == 'x' &&"));
    const r = await engine.reload();
    expect(r.ok).toBe(false);
    expect(r.revision).toBe(good);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([
      expect.objectContaining({ policy: 'models', rule: 'r', pos: expect.objectContaining({ file: join(dir, 'a.yaml'), line: 1 }) }),
    ]);
    expect(engine.revision).toBe(good);
    expect(engine.evaluateSync(ctx)).toMatchObject({ decision: 'warn', revision: good });

    // A YAML error, a missing directory entry: same.
    write('a.yaml', 'apiVersion: [');
    expect((await engine.reload()).ok).toBe(false);
    expect(engine.evaluateSync(ctx).decision).toBe('warn');
    expect(engine.stats()).toMatchObject({ reloads: 1, reloadFailures: 2 });

    write('a.yaml', modelRule('deny'));
    const fixed = await engine.reload();
    expect(fixed.ok).toBe(true);
    expect(engine.evaluateSync(ctx).decision).toBe('deny');
  });

  it('fails the build when the first load is broken', async () => {
    write('a.yaml', 'kind: Policy');
    await expect(PolicyEngine.builder().withPolicyDir(dir).build()).rejects.toMatchObject({ name: 'PolicyLoadError' });
  });

  it('serves every evaluation during a reload, from the old or the new revision', async () => {
    write('a.yaml', modelRule('warn'));
    for (let i = 0; i < 20; i++) write(`filler-${String(i).padStart(2, '0')}.yaml`, yamlOf(policy(`filler-${i}`, { rules: [{ id: 'r', when: `request.n == ${i}.0`, decision: 'warn' }] })));
    const engine = await PolicyEngine.builder().withPolicyDir(dir).build();
    const oldRevision = engine.revision;
    write('a.yaml', modelRule('deny'));

    let done = false;
    const reloading = engine.reload().then((r) => {
      done = true;
      return r;
    });
    const seen: { revision: string; decision: string }[] = [];
    // Evaluate while the reload reads and compiles: every turn of the event loop.
    while (!done) {
      const batch = await Promise.all([engine.evaluate(ctx), engine.evaluate(ctx), Promise.resolve(engine.evaluateSync(ctx))]);
      seen.push(...batch.map((d) => ({ revision: d.revision, decision: d.decision })));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const r = await reloading;
    expect(r.ok).toBe(true);
    expect(seen.length).toBeGreaterThan(0);
    for (const s of seen) {
      // Never a mixture: the old revision decides warn, the new one deny.
      expect(s).toEqual(s.revision === oldRevision ? { revision: oldRevision, decision: 'warn' } : { revision: r.revision, decision: 'deny' });
    }
    expect(engine.evaluateSync(ctx)).toMatchObject({ revision: r.revision, decision: 'deny' });
  });

  it('reads the sources again for a reload requested while another one runs', async () => {
    // `hook('...')` has constant arguments, so it runs while the policy compiles: after the
    // running reload has read the files. The change it makes then must not be lost.
    let duringCompile: (() => void) | undefined;
    const hook: FunctionDecl = {
      name: 'hook',
      overloads: [
        globalOverload('hook_string', [T.string], T.string, (s: string) => {
          const f = duringCompile;
          duringCompile = undefined;
          f?.();
          return s;
        }),
      ],
    };
    const version = (v: string, decision: string) => yamlOf(policy('models', { rules: [{ id: 'r', when: `hook('${v}') == '${v}' && request.model == 'x'`, decision }] }));
    write('a.yaml', version('v1', 'warn'));
    const engine = await PolicyEngine.builder().withPolicyDir(dir).withFunction(hook).build();

    write('a.yaml', version('v2', 'deny'));
    let second: Promise<ReloadResult> | undefined;
    duringCompile = () => {
      write('a.yaml', version('v3', 'throttle'));
      second = engine.reload();
    };
    const first = await engine.reload();
    expect(first.ok).toBe(true);
    expect(second).toBeDefined();
    const r = await second!;
    expect(r.ok).toBe(true);
    expect(r.revision).not.toBe(first.revision);
    expect(engine.evaluateSync(ctx).decision).toBe('throttle');
  });

  it('shares one run between the reload calls made while another runs', async () => {
    write('a.yaml', modelRule('warn'));
    const engine = await PolicyEngine.builder().withPolicyDir(dir).build();
    write('a.yaml', modelRule('deny'));
    const running = engine.reload();
    const [a, b] = await Promise.all([engine.reload(), engine.reload()]);
    expect(a).toBe(b);
    expect((await running).ok).toBe(true);
    // build, the running reload and one more for both calls.
    expect(engine.stats().reloads).toBe(3);
    expect(engine.evaluateSync(ctx).decision).toBe('deny');
  });

  it('gives an unchanged set the same revision', async () => {
    write('a.yaml', modelRule('warn'));
    const engine = await PolicyEngine.builder().withPolicyDir(dir).build();
    const before = engine.revision;
    // Formatting and comments do not change the content.
    write('a.yaml', '# a comment\n' + modelRule('warn').replace('{', '{ '));
    expect((await engine.reload()).revision).toBe(before);
  });
});

describe('the compilation cache', () => {
  it('reuses unchanged policies across reloads', async () => {
    write('a.yaml', modelRule('warn'));
    write('b.yaml', yamlOf(policy('other', { rules: [{ id: 'r', when: 'request.n > 1.0', decision: 'deny' }] })));
    const engine = await PolicyEngine.builder().withPolicyDir(dir).build();
    expect(engine.stats().compilationCache).toEqual({ size: 2, hits: 0, misses: 2 });

    await engine.reload(); // nothing changed
    expect(engine.stats().compilationCache).toEqual({ size: 2, hits: 2, misses: 2 });

    write('a.yaml', modelRule('deny'));
    await engine.reload(); // b is reused, a recompiled
    expect(engine.stats().compilationCache).toMatchObject({ hits: 3, misses: 3 });
    expect(engine.evaluateSync(ctx).decision).toBe('deny');
    expect(engine.evaluateSync({ request: { n: 2 } }).decision).toBe('deny');
  });

  it('is not used when disabled', async () => {
    write('a.yaml', modelRule('warn'));
    const engine = await PolicyEngine.builder().withPolicyDir(dir).withCompilationCache({ enabled: false }).build();
    await engine.reload();
    expect(engine.stats().compilationCache).toEqual({ size: 0, hits: 0, misses: 0 });
  });

  it('does not reuse a policy whose text moved inside its file: error positions follow the text', async () => {
    const body = (comments: string) =>
      [
        'apiVersion: policy.llm/v1',
        'kind: Policy',
        'metadata: { name: p }',
        'spec:',
        '  rules:',
        comments + '    - id: r',
        '      when: "request.missing.field == 1"',
        '      decision: deny',
        '',
      ].join('\n');
    write('a.yaml', body(''));
    const engine = await PolicyEngine.builder().withPolicyDir(dir).build();
    const pos = () => engine.evaluateSync({ request: {} }).errors[0]!.pos!;
    const line = () => pos().line;
    expect(line()).toBe(7);
    const column = pos().column;
    // Same content (same hash, same revision), two comment lines above the rule.
    write('a.yaml', body('    # why this rule exists\n    # and who owns it\n'));
    const r = await engine.reload();
    expect(r.ok).toBe(true);
    expect(line()).toBe(9);
    // Re-indenting a condition moves its columns.
    write('a.yaml', body('').replace('      when: "request', '      when:     "request'));
    await engine.reload();
    expect(pos()).toMatchObject({ line: 7, column: column + 4 });
  });
});
