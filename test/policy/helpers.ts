// Shared by the policy tests: fixture paths, plain-data views of documents, golden files.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { SourcePos, SourceText } from '../../src/policy/types.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURES = join(ROOT, 'test', 'fixtures', 'policy');
export const GOLDEN = join(ROOT, 'test', 'policy', 'golden');

export function fixture(...parts: string[]): string {
  return join(FIXTURES, ...parts);
}

/** A path as goldens and expectations spell it: relative to the repository root. */
export function rel(path: string): string {
  return relative(ROOT, path);
}

/** Documents as plain data: SourceTexts become { text, pos } (their toJSON), functions vanish. */
export function plain<T>(value: T): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

/** Expected-value helpers for positions in one file. */
export function positions(file: string): {
  p: (line: number, column: number) => SourcePos;
  t: (text: string, line: number, column: number) => { text: string; pos: SourcePos };
} {
  const p = (line: number, column: number): SourcePos => ({ file, line, column });
  return { p, t: (text, line, column) => ({ text, pos: p(line, column) }) };
}

/** "line:column" of an offset in a SourceText, for compact mapping assertions. */
export function lc(text: SourceText, offset: number): string {
  const pos = text.at(offset);
  return `${pos.line}:${pos.column}`;
}

/**
 * Compares `actual` with test/policy/golden/<name>.txt; with UPDATE_GOLDEN=1
 * in the environment the file is (re)written instead.
 */
export function expectGolden(name: string, actual: string): void {
  const file = join(GOLDEN, `${name}.txt`);
  const text = actual.endsWith('\n') ? actual : `${actual}\n`;
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    return;
  }
  if (!existsSync(file)) throw new Error(`missing golden file ${rel(file)}; run with UPDATE_GOLDEN=1 to create it`);
  expect(text).toBe(readFileSync(file, 'utf8'));
}
