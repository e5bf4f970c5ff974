// Building, ordering and printing diagnostics.

import { DIAGNOSTIC_CODES, type DiagnosticCode } from './codes.js';
import type { Diagnostic, SourcePos } from './types.js';

export interface DiagnosticInit {
  readonly code: DiagnosticCode;
  readonly message: string;
  readonly hint?: string;
  readonly pos: SourcePos;
  readonly length?: number;
  readonly sourceLine?: string;
  readonly policy?: string;
  readonly rule?: string;
}

/** A diagnostic whose severity comes from the code catalogue; undefined fields are left out. */
export function makeDiagnostic(init: DiagnosticInit): Diagnostic {
  const d: { -readonly [K in keyof Diagnostic]: Diagnostic[K] } = {
    severity: DIAGNOSTIC_CODES[init.code].severity,
    code: init.code,
    message: init.message,
    pos: init.pos,
  };
  if (init.hint !== undefined) d.hint = init.hint;
  if (init.length !== undefined && init.length > 1) d.length = init.length;
  if (init.sourceLine !== undefined) d.sourceLine = init.sourceLine;
  if (init.policy !== undefined) d.policy = init.policy;
  if (init.rule !== undefined) d.rule = init.rule;
  return d;
}

/** File, line, column; then code and message so that equal positions still sort the same way every run. */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  return (
    compareStrings(a.pos.file, b.pos.file) ||
    a.pos.line - b.pos.line ||
    a.pos.column - b.pos.column ||
    compareStrings(a.code, b.code) ||
    compareStrings(a.message, b.message)
  );
}

/** Sorted copy without exact duplicates (ajv can report one problem through two schema paths). */
export function sortDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  const sorted = [...list].sort(compareDiagnostics);
  return sorted.filter((d, i) => {
    const prev = sorted[i - 1];
    return !(prev && compareDiagnostics(prev, d) === 0);
  });
}

export function hasErrors(list: readonly Diagnostic[]): boolean {
  return list.some((d) => d.severity === 'error');
}

/**
 * `file:line:col: error[code]: message`, then the source line with a caret
 * under the problem, then `  hint: ...`:
 *
 *     policies/budget.yaml:12:7: error[unknown-key]: unknown key 'whne' in spec.rules[0]
 *       12 |       whne: x > 1
 *          |       ^^^^
 *       hint: did you mean 'when'? ...
 */
export function formatDiagnostic(d: Diagnostic): string {
  const { file, line, column } = d.pos;
  const out = [`${file}:${line}:${column}: ${d.severity}[${d.code}]: ${d.message}`];
  if (d.sourceLine !== undefined) {
    const gutter = String(line);
    const text = d.sourceLine;
    // Copy tabs from the source line so the caret lines up however tabs render.
    const lead = text.slice(0, Math.max(0, column - 1)).replace(/[^\t]/g, ' ');
    const room = Math.max(1, text.length - column + 1);
    const width = Math.max(1, Math.min(d.length ?? 1, room));
    out.push(`  ${gutter} | ${text}`.trimEnd());
    out.push(`  ${' '.repeat(gutter.length)} | ${lead}${'^'.repeat(width)}`);
  }
  if (d.hint !== undefined) out.push(`  hint: ${d.hint}`);
  return out.join('\n');
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
