// Problems in a configuration file or in POLICY_ENGINE_* variables, and notes
// for the operator. Problem codes are stable (scripts match on them) and are
// documented in docs/configuration.md, "Problems" (a test keeps the two in step).

import { formatDiagnostic } from '../policy/diagnostic.js';
import type { SourcePos } from '../policy/types.js';

export const CONFIG_PROBLEM_CODES = {
  'file-not-found': { severity: 'error', summary: 'The configuration file does not exist.' },
  'read-error': { severity: 'error', summary: 'The configuration file exists but cannot be read (permissions, or a directory).' },
  'yaml-syntax': { severity: 'error', summary: 'The file is not valid YAML (or JSON).' },
  'duplicate-key': { severity: 'error', summary: 'A section has the same key twice.' },
  'yaml-alias': { severity: 'error', summary: 'An alias (*name) refers to no anchor, or aliases expand too much.' },
  'yaml-warning': { severity: 'warning', summary: 'The YAML parser warns about something, e.g. an unknown tag.' },
  'invalid-document': { severity: 'error', summary: 'The file is not one mapping of sections (a list, a bare value, or several documents).' },
  'unknown-key': { severity: 'error', summary: 'A key that the configuration does not have (often a typo, or a key in the wrong section).' },
  'invalid-type': { severity: 'error', summary: 'A value has the wrong type: text for a number, a number for true/false, a value for a section.' },
  'invalid-value': { severity: 'error', summary: 'A value is out of range, empty, not one of the allowed values, or not a valid address, URL or path.' },
  'duplicate-value': { severity: 'error', summary: 'A list that must not repeat items repeats one.' },
  'conflicting-settings': { severity: 'error', summary: 'Settings that cannot go together, e.g. tls.client_auth without tls.enabled.' },
  'port-conflict': { severity: 'error', summary: 'Two servers of the daemon would listen on the same port.' },
} as const satisfies Record<string, { readonly severity: 'error' | 'warning'; readonly summary: string }>;

export type ConfigProblemCode = keyof typeof CONFIG_PROBLEM_CODES;

export interface ConfigProblem {
  readonly severity: 'error' | 'warning';
  readonly code: ConfigProblemCode;
  /** The key path, e.g. `server.http.listen_address` or `server.http.cors_allowed_origins[1]`; '' for the whole file. */
  readonly path: string;
  /** What is wrong; starts with the key path (or the variable) it is about. */
  readonly message: string;
  /** How to fix it, when there is something specific to say. */
  readonly hint?: string;
  /** Where in the file: the key for key problems (unknown keys), the value otherwise. Absent for problems in environment variables. */
  readonly pos?: SourcePos;
  /** Caret width from `pos` on its line. */
  readonly length?: number;
  /** The file line at `pos.line`. */
  readonly sourceLine?: string;
  /** The environment variable whose value is wrong (the problem is in the environment, not the file). */
  readonly env?: string;
}

/** Something the operator should know at start-up; never stops the daemon. */
export interface ConfigNote {
  /** inactive: a setting whose feature is not in this release; caution: a risky or surprising combination. */
  readonly kind: 'inactive' | 'caution';
  /** The key path (or environment variable) it is about. */
  readonly path: string;
  readonly message: string;
}

/** A problem as its finder states it: the severity comes from the code's entry in the catalogue. */
export type ProblemInit = Omit<ConfigProblem, 'severity'>;

/** A problem whose severity comes from the catalogue; undefined fields are left out. */
export function makeProblem(init: ProblemInit): ConfigProblem {
  const p: { -readonly [K in keyof ConfigProblem]: ConfigProblem[K] } = {
    severity: CONFIG_PROBLEM_CODES[init.code].severity,
    code: init.code,
    path: init.path,
    message: init.message,
  };
  if (init.hint !== undefined) p.hint = init.hint;
  if (init.pos !== undefined) p.pos = init.pos;
  if (init.length !== undefined && init.length > 1) p.length = init.length;
  if (init.sourceLine !== undefined) p.sourceLine = init.sourceLine;
  if (init.env !== undefined) p.env = init.env;
  return p;
}

/** File problems by line and column, then environment problems by variable; exact duplicates dropped. */
export function sortProblems(list: readonly ConfigProblem[]): ConfigProblem[] {
  const key = (p: ConfigProblem): string => [p.pos ? `0 ${p.pos.file}` : `1 ${p.env ?? ''}`, String(p.pos?.line ?? 0).padStart(9, '0'), String(p.pos?.column ?? 0).padStart(9, '0'), p.code, p.message].join('\u0000');
  const sorted = [...list].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return sorted.filter((p, i) => i === 0 || key(sorted[i - 1]!) !== key(p));
}

export function hasConfigErrors(list: readonly ConfigProblem[]): boolean {
  return list.some((p) => p.severity === 'error');
}

/**
 * Like `policy-engine validate`:
 *
 *     config.yaml:7:21: error[invalid-value]: server.http.listen_address '0.0.0.0' has no port
 *       7 |     listen_address: 0.0.0.0
 *         |                     ^^^^^^^
 *       hint: write host:port, e.g. 0.0.0.0:8080
 *
 * and for a variable: `POLICY_ENGINE_HTTP_PORT: error[invalid-value]: ...`.
 */
export function formatConfigProblem(p: ConfigProblem): string {
  if (p.pos) {
    return formatDiagnostic({ severity: p.severity, code: p.code, message: p.message, pos: p.pos, length: p.length, sourceLine: p.sourceLine, hint: p.hint });
  }
  const out = [`${p.env ?? 'configuration'}: ${p.severity}[${p.code}]: ${p.message}`];
  if (p.hint !== undefined) out.push(`  hint: ${p.hint}`);
  return out.join('\n');
}

/** `note: registry.url: ...` */
export function formatConfigNote(n: ConfigNote): string {
  return `note: ${n.message}`;
}
