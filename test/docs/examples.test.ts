// Runs the examples in README.md and docs/*.md, so the documentation cannot
// drift from the code. Conventions for writing docs (fenced code blocks):
//
//   ```yaml   Every block that contains `apiVersion: policy.llm/v1` must load and
//             compile without errors (warnings are fine), all its documents
//             together, with the default settings (no other block's PolicySet).
//             First line `# expect-error: <code>`: the block must instead produce
//             an error diagnostic with that code (e.g. `# expect-error: unknown-key`).
//             Not checked: blocks whose first line is `# fragment`, and blocks that
//             elide content with `{ ... }` or a `...` line (the document envelope).
//
//   ```ts     Blocks whose first line is `// example` are run: written to a
//             temporary .mts file inside the repository (so `import ... from
//             'llm-policy-engine'` resolves to this package, i.e. the built dist/)
//             and executed with `node --import tsx`, from the repository root
//             (relative paths such as './examples/policies' work). They must exit
//             0: throw when a result is not what the text says. Not type-checked.
//             Other ts blocks are not run.
//
//   ```sh     Blocks whose first line is `# example` are run with bash (-e, -o
//             pipefail) from the repository root and must exit 0; write
//             `# example (exit 1)` for a block that demonstrates a failure.
//             `policy-engine` / `npx policy-engine` become `node bin/policy-engine.js`.
//             npm commands that install, build or test (npm ci, npm install,
//             npm test, npm run build|typecheck|bench|prepare) are skipped: the
//             suite has done them, and running them here would recurse or rebuild
//             dist/ under the other tests. Keep examples fast (bench: --seconds 0.1)
//             and do not write files outside /tmp.
//
// Other languages (json, text, ...) are not checked.

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { compilePolicySet } from '../../src/engine/policy-set.js';
import { formatDiagnostic } from '../../src/policy/diagnostic.js';
import { loadPolicyText } from '../../src/policy/load.js';
import type { Diagnostic } from '../../src/policy/types.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

interface Block {
  /** e.g. docs/library.md:42 (the line of the opening fence). */
  readonly where: string;
  readonly lang: string;
  readonly text: string;
  readonly firstLine: string;
}

/** Fenced code blocks of a Markdown file (fences may be indented, e.g. inside lists). */
function codeBlocks(markdown: string, file: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)(`{3,}|~{3,})\s*([\w+-]*)/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, lang] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const l = lines[j]!;
      if (l.trimStart().startsWith(fence!) && l.trim().replace(/[`~]/g, '') === '') break;
      body.push(l.startsWith(indent!) ? l.slice(indent!.length) : l.trimStart());
    }
    const text = body.join('\n') + '\n';
    blocks.push({ where: `${file}:${i + 1}`, lang: lang!.toLowerCase(), text, firstLine: (body[0] ?? '').trim() });
    i = j;
  }
  return blocks;
}

const docFiles = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const blocks = docFiles.flatMap((f) => codeBlocks(readFileSync(join(ROOT, f), 'utf8'), f));

const policyBlocks = blocks.filter(
  (b) => (b.lang === 'yaml' || b.lang === 'yml') && b.text.includes('apiVersion: policy.llm/v1') && b.firstLine !== '# fragment' && !/\{ *\.\.\. *\}|^\s*\.\.\.\s*$/m.test(b.text),
);
const tsBlocks = blocks.filter((b) => (b.lang === 'ts' || b.lang === 'typescript') && /^\/\/ *example\b/.test(b.firstLine));
const shBlocks = blocks.filter((b) => (b.lang === 'sh' || b.lang === 'bash' || b.lang === 'shell') && /^# *example\b/.test(b.firstLine));

describe('the scanner', () => {
  test('finds the fenced blocks, with their languages and lines', () => {
    const sample = ['# T', '', '```yaml', 'a: 1', '```', '', '1. item', '   ```ts', '   // example', '   const x = 1;', '   ```', ''].join('\n');
    expect(codeBlocks(sample, 'x.md')).toEqual([
      { where: 'x.md:3', lang: 'yaml', text: 'a: 1\n', firstLine: 'a: 1' },
      { where: 'x.md:8', lang: 'ts', text: '// example\nconst x = 1;\n', firstLine: '// example' },
    ]);
  });

  test('the docs hold policy examples to check', () => {
    expect(policyBlocks.length).toBeGreaterThan(0);
  });
});

/** Loads and compiles a policy block; its error diagnostics and how many documents loaded. */
function checkPolicyBlock(block: Block): { errors: Diagnostic[]; documents: number } {
  // A .yaml name makes the loader parse YAML; positions in messages are lines within the block.
  const loaded = loadPolicyText(block.text, `${block.where.replace(/[:/]/g, '_')}.yaml`);
  // Like the engine: compile only when loading succeeded.
  const compiled = loaded.diagnostics.some((d) => d.severity === 'error') ? { diagnostics: [] } : compilePolicySet(loaded.documents);
  return { errors: [...loaded.diagnostics, ...compiled.diagnostics].filter((d) => d.severity === 'error'), documents: loaded.documents.length };
}

function expectPolicyBlock(block: Block): void {
  const { errors, documents } = checkPolicyBlock(block);
  const expected = /^# expect-error: *([a-z0-9-]+)/.exec(block.firstLine)?.[1];
  const shown = errors.map(formatDiagnostic).join('\n\n');
  if (expected) {
    expect(errors.map((d) => d.code), `${block.where} should produce error ${expected}; got:\n${shown || '(no errors)'}`).toContain(expected);
  } else {
    expect(errors.length, `${block.where} (lines counted from the block's first line):\n${shown}`).toBe(0);
    expect(documents).toBeGreaterThan(0);
  }
}

describe('policy block checks', () => {
  const block = (text: string): Block => ({ where: 'self-test.md:1', lang: 'yaml', text, firstLine: text.split('\n')[0]!.trim() });
  const policy = (when: string): string => `apiVersion: policy.llm/v1\nkind: Policy\nmetadata: { name: p }\nspec:\n  rules:\n    - { id: r, when: "${when}", decision: deny }\n`;

  test('a good block passes; loading and CEL errors fail it', () => {
    expect(checkPolicyBlock(block(policy('request.max_tokens > 10'))).errors).toEqual([]);
    expect(checkPolicyBlock(block(policy('request.max_tokens > > 10'))).errors.map((d) => d.code)).toEqual(['cel-syntax']);
    expect(checkPolicyBlock(block(policy('x').replace('when:', 'whne:'))).errors.map((d) => d.code)).toEqual(['unknown-key']);
  });

  test('# expect-error: <code> requires that error', () => {
    expectPolicyBlock(block(`# expect-error: cel-syntax\n${policy('request.max_tokens > > 10')}`));
    expect(() => expectPolicyBlock(block(`# expect-error: cel-syntax\n${policy('true')}`))).toThrow(/should produce error cel-syntax/);
    expect(() => expectPolicyBlock(block(policy('1 +')))).toThrow();
  });
});

describe.each(policyBlocks.map((b) => [b.where, b] as const))('policy example %s', (_where, block) => {
  test(block.firstLine.startsWith('# expect-error:') ? 'produces the expected error' : 'loads and compiles without errors', () => {
    expectPolicyBlock(block);
  });
});

// Scratch space for the ts examples: inside the repository, so the package resolves itself.
// (/tmp/ at the repository root is git-ignored.)
const SCRATCH = join(ROOT, 'tmp', `doc-examples-${process.pid}`);

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function exec(file: string, args: readonly string[], timeoutMs = 30_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { cwd: ROOT, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        if (error.killed) resolve({ code: null, stdout, stderr: `${stderr}\n[killed after ${timeoutMs} ms]` });
        else reject(error);
        return;
      }
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
    child.stdin?.end();
  });
}

function report(where: string, r: Ran, script?: string): string {
  return `${where} exited with ${r.code}\n${script ? `--- script ---\n${script}` : ''}--- stdout ---\n${r.stdout}--- stderr ---\n${r.stderr}`;
}

describe.runIf(tsBlocks.length + shBlocks.length > 0)('runnable examples', () => {
  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist', 'index.js'))) {
      throw new Error('dist/ is missing: the doc examples import the built package; run `npm run build` first (`npm test` does)');
    }
    mkdirSync(SCRATCH, { recursive: true });
  });
  afterAll(() => {
    rmSync(SCRATCH, { recursive: true, force: true });
    // Remove tmp/ too when nothing else is in it.
    try {
      if (readdirSync(join(ROOT, 'tmp')).length === 0) rmSync(join(ROOT, 'tmp'), { recursive: true });
    } catch {
      // already gone
    }
  });

  describe.concurrent.each(tsBlocks.map((b) => [b.where, b] as const))('ts example %s', (where, block) => {
    test('runs and exits 0', async ({ expect }) => {
      const file = join(SCRATCH, `${where.replace(/[^A-Za-z0-9]+/g, '_')}.mts`);
      writeFileSync(file, block.text);
      const r = await exec(process.execPath, ['--import', 'tsx', file]);
      expect(r.code, report(where, r)).toBe(0);
    });
  });

  describe.concurrent.each(shBlocks.map((b) => [b.where, b] as const))('sh example %s', (where, block) => {
    test('runs from the repository root with the expected exit code', async ({ expect }) => {
      const exit = Number(/^# *example *\(exit (\d+)\)/.exec(block.firstLine)?.[1] ?? 0);
      const script = shellScript(block.text);
      const r = await exec('bash', ['-e', '-o', 'pipefail', '-c', script]);
      expect(r.code, report(where, r, script)).toBe(exit);
    });
  });
});

const SKIPPED_NPM = /^npm +(ci|install|i|test|t|run +(build|typecheck|bench|prepare))\b/;

/** The sh block as a script: the installed command mapped to this checkout, install/build/test steps dropped. */
function shellScript(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      // Split on && and ; (outside quotes is good enough for docs), drop skipped npm commands.
      const parts = line.split(/(&&|;)/);
      const kept: string[] = [];
      for (let i = 0; i < parts.length; i += 2) {
        const cmd = parts[i]!;
        if (SKIPPED_NPM.test(cmd.trim())) continue;
        kept.push(cmd.trim());
      }
      return kept
        .filter((c) => c !== '')
        .join(' && ')
        .replace(/(^|[|&;(]\s*|\$\(\s*)((?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*)(?:npx +)?policy-engine(?=\s|$)/g, '$1$2node bin/policy-engine.js');
    })
    .join('\n');
}

describe('shellScript', () => {
  test('maps policy-engine to the checkout and drops install/build/test steps', () => {
    expect(shellScript('npm ci && npm start     # install and run\nnpm test\npolicy-engine validate examples/policies\n')).toBe(
      'npm start     # install and run\n\nnode bin/policy-engine.js validate examples/policies\n',
    );
    expect(shellScript('A=1 B=x policy-engine validate-config c.yaml')).toBe('A=1 B=x node bin/policy-engine.js validate-config c.yaml');
    expect(shellScript('npx policy-engine test x | head -1; echo llm-policy-engine')).toBe('node bin/policy-engine.js test x | head -1 && echo llm-policy-engine');
  });
});
