// Loading policy sources: files and directories, or text already in memory.
// Never throws on bad input: every problem becomes a diagnostic (sorted by
// file, line, column), and only documents without errors are returned.

import { readFile } from 'node:fs/promises';
import { checkDocument, type CheckedDocument } from './check-document.js';
import { crossCheck } from './cross-checks.js';
import { sortDiagnostics } from './diagnostic.js';
import { discoverPolicyFiles, fileProblem } from './files.js';
import { SourceFile } from './source-file.js';
import type { Diagnostic, Document } from './types.js';
import { parseSource } from './yaml-parse.js';

export interface LoadResult {
  readonly documents: Document[];
  readonly diagnostics: Diagnostic[];
}

export interface SourcesLoadResult extends LoadResult {
  /** Every file that was read, in load order. */
  readonly files: string[];
}

/**
 * Loads `paths` (files, or directories searched recursively for .yaml, .yml
 * and .json). Names must be unique across all of them, and at most one
 * PolicySet may appear.
 */
export async function loadPolicySources(paths: readonly string[]): Promise<SourcesLoadResult> {
  const { files, diagnostics } = await discoverPolicyFiles(paths);
  const texts = await Promise.all(
    files.map((file) => readFile(file, 'utf8').catch((e: unknown) => e as NodeJS.ErrnoException)),
  );
  const checked: CheckedDocument[] = [];
  const read: string[] = [];
  files.forEach((file, i) => {
    const text = texts[i];
    if (text instanceof Error) {
      diagnostics.push(fileProblem(file, text));
      return;
    }
    read.push(file);
    const parsed = checkText(text, file);
    diagnostics.push(...parsed.diagnostics);
    checked.push(...parsed.checked);
  });
  return { ...combine(checked, diagnostics), files: read };
}

/**
 * Loads one in-memory source; `file` names it in diagnostics, and its
 * extension decides between YAML and JSON (`.json`: one document or an array).
 */
export function loadPolicyText(text: string, file: string): LoadResult {
  const { checked, diagnostics } = checkText(text, file);
  return combine(checked, diagnostics);
}

function checkText(text: string, file: string): { checked: CheckedDocument[]; diagnostics: Diagnostic[] } {
  const { roots, diagnostics } = parseSource(new SourceFile(file, text));
  const checked = roots.map(checkDocument);
  for (const c of checked) diagnostics.push(...c.diagnostics);
  return { checked, diagnostics };
}

function combine(checked: readonly CheckedDocument[], diagnostics: Diagnostic[]): LoadResult {
  const ids = checked.flatMap((c, i) => (c.identity ? [{ index: i, identity: c.identity }] : []));
  const cross = crossCheck(ids.map((x) => x.identity));
  const rejected = new Set([...cross.rejected].map((j) => ids[j].index));
  const documents = checked.flatMap((c, i) => (c.document && !rejected.has(i) ? [c.document] : []));
  return { documents, diagnostics: sortDiagnostics([...diagnostics, ...cross.diagnostics]) };
}
