import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { discoverPolicyFiles, loadPolicySources } from '../../src/policy/index.js';
import type { PolicyDoc } from '../../src/policy/types.js';

let dir: string;

const policy = (name: string): string =>
  `apiVersion: policy.llm/v1\nkind: Policy\nmetadata: { name: ${name} }\nspec:\n  rules: [{ id: r, decision: allow }]\n`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'policy-files-'));
  const write = (path: string, text: string): void => {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  write('b.yaml', policy('b'));
  write('a.yml', policy('a'));
  write('sub/c.json', JSON.stringify({ apiVersion: 'policy.llm/v1', kind: 'Policy', metadata: { name: 'c' }, spec: { rules: [{ id: 'r', decision: 'deny' }] } }));
  write('sub/deeper/d.YAML', policy('d'));
  // Skipped: dotfiles, dot-directories, node_modules, other extensions.
  write('.hidden.yaml', 'not: [valid');
  write('.git/x.yaml', 'not: [valid');
  write('node_modules/pkg/x.yaml', 'not: [valid');
  write('notes.txt', 'not: [valid');
  // A Kubernetes ConfigMap mount: the files are symlinks into a hidden, timestamped directory.
  write('..2025_01_01_00_00_00/e.yaml', policy('e'));
  symlinkSync('..2025_01_01_00_00_00', join(dir, '..data'));
  symlinkSync(join('..data', 'e.yaml'), join(dir, 'e.yaml'));
  // A directory loop and a dangling link must not hang or fail the walk.
  symlinkSync('..', join(dir, 'sub', 'loop'));
  symlinkSync('missing.yaml', join(dir, 'gone.yaml'));
  mkdirSync(join(dir, 'empty'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('directories', () => {
  test('recursive, sorted, skipping dotfiles and node_modules, following symlinks', async () => {
    const { files, documents, diagnostics } = await loadPolicySources([dir]);
    expect(files).toEqual(['a.yml', 'b.yaml', 'e.yaml', 'sub/c.json', 'sub/deeper/d.YAML'].map((f) => join(dir, f)));
    expect(diagnostics).toEqual([]);
    expect(documents.map((d) => (d as PolicyDoc).metadata.name)).toEqual(['a', 'b', 'e', 'c', 'd']);
  });

  test('a file named explicitly is read whatever its extension; a file reached twice is read once', async () => {
    const { files } = await discoverPolicyFiles([join(dir, 'b.yaml'), join(dir, 'notes.txt'), dir]);
    expect(files).toEqual(['b.yaml', 'notes.txt', 'a.yml', 'e.yaml', 'sub/c.json', 'sub/deeper/d.YAML'].map((f) => join(dir, f)));
  });

  test('missing paths, unreadable paths and empty directories are diagnostics, not exceptions', async () => {
    const missing = join(dir, 'nope');
    const notADir = join(dir, 'a.yml', 'x');
    const empty = join(dir, 'empty');
    const { files, documents, diagnostics } = await loadPolicySources([missing, notADir, empty]);
    expect(files).toEqual([]);
    expect(documents).toEqual([]);
    // Sorted by file: .../a.yml/x, .../empty, .../nope
    expect(diagnostics.map((d) => [d.code, d.severity, d.pos])).toEqual([
      ['read-error', 'error', { file: notADir, line: 1, column: 1 }],
      ['empty-directory', 'warning', { file: empty, line: 1, column: 1 }],
      ['file-not-found', 'error', { file: missing, line: 1, column: 1 }],
    ]);
    expect(diagnostics.find((d) => d.code === 'read-error')?.message).toBe(`cannot read '${notADir}': ENOTDIR`);
  });

  test('duplicate policy names are found across files', async () => {
    const other = mkdtempSync(join(tmpdir(), 'policy-dupes-'));
    try {
      writeFileSync(join(other, 'one.yaml'), policy('same'));
      writeFileSync(join(other, 'two.yaml'), `# two\n${policy('same')}`);
      const { documents, diagnostics } = await loadPolicySources([other]);
      expect(documents).toEqual([]);
      expect(diagnostics.map((d) => [d.code, d.pos.file, d.pos.line, d.pos.column])).toEqual([
        ['duplicate-policy-name', join(other, 'one.yaml'), 3, 19],
        ['duplicate-policy-name', join(other, 'two.yaml'), 4, 19],
      ]);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
