// Small helpers for CLI output.

import { readFileSync } from 'node:fs';
import { formatDiagnostic } from '../policy/diagnostic.js';
import type { Diagnostic } from '../policy/types.js';

/** JSON that survives bigints (printed as numbers when safe, strings otherwise). */
export function toJsonText(v: unknown, pretty = true): string {
  return JSON.stringify(
    v,
    (_k, x) => (typeof x === 'bigint' ? (x <= BigInt(Number.MAX_SAFE_INTEGER) && x >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(x) : x.toString()) : x),
    pretty ? 2 : undefined,
  );
}

export function indent(text: string, by: string): string {
  return text
    .split('\n')
    .map((l) => (l ? by + l : l))
    .join('\n');
}

/** Thrown for bad command-line use: printed without a stack, exit code 2. */
export class UsageError extends Error {}

/**
 * `formatDiagnostic` for the terminal. Some diagnostics are built without
 * `sourceLine` (compile-time ones such as template-syntax, invalid-context-schema,
 * and CEL issues before compile-policy set it), so they printed no source line
 * and no caret; read the line from the file when it exists so every error
 * shows where it is. A diagnostic that has its line is printed unchanged.
 */
export function formatForCli(d: Diagnostic): string {
  if (d.sourceLine !== undefined) return formatDiagnostic(d);
  const line = fileLine(d.pos.file, d.pos.line);
  return formatDiagnostic(line === undefined ? d : { ...d, sourceLine: line });
}

const fileLines = new Map<string, readonly string[] | undefined>();

function fileLine(file: string, line: number): string | undefined {
  if (!fileLines.has(file)) {
    let lines: string[] | undefined;
    try {
      lines = readFileSync(file, 'utf8').split(/\r?\n/);
    } catch {
      lines = undefined; // <inline>, a directory, a vanished file: print without the line
    }
    fileLines.set(file, lines);
  }
  return fileLines.get(file)?.[line - 1];
}
