// Checks across all loaded documents: a policy name may be used once per
// namespace, and a set has at most one PolicySet. Each occurrence gets a
// diagnostic naming the others, since the fix may belong in either file.

import { makeDiagnostic } from './diagnostic.js';
import type { Span } from './source-file.js';
import type { Diagnostic, SourcePos } from './types.js';

/** What the cross checks need to know about one document. */
export interface DocumentIdentity {
  readonly kind: 'Policy' | 'PolicySet' | 'PolicyTest';
  /** metadata.name when it is a string. */
  readonly name?: string;
  readonly namespace: string;
  /** Where metadata.name (or the document) is written. */
  readonly span: Span;
}

/** Diagnostics, and the identities (by index) whose documents must not be returned. */
export function crossCheck(ids: readonly DocumentIdentity[]): { diagnostics: Diagnostic[]; rejected: Set<number> } {
  const diagnostics: Diagnostic[] = [];
  const rejected = new Set<number>();

  const policies = new Map<string, number[]>();
  const sets: number[] = [];
  ids.forEach((id, i) => {
    if (id.kind === 'PolicySet') sets.push(i);
    if (id.kind !== 'Policy' || id.name === undefined) return;
    const key = `${id.namespace}\u0000${id.name}`;
    policies.set(key, [...(policies.get(key) ?? []), i]);
  });

  for (const group of policies.values()) {
    if (group.length < 2) continue;
    for (const i of group) {
      const { name, namespace, span } = ids[i] as Required<DocumentIdentity>;
      rejected.add(i);
      diagnostics.push(
        makeDiagnostic({
          code: 'duplicate-policy-name',
          message: `policy '${name}' is defined more than once in namespace '${namespace}'; also at ${others(ids, group, i)}`,
          hint: 'policy names must be unique within a namespace: rename one, or put it in another namespace',
          policy: name,
          ...span,
        }),
      );
    }
  }

  if (sets.length > 1) {
    for (const i of sets) {
      rejected.add(i);
      diagnostics.push(
        makeDiagnostic({
          code: 'duplicate-policy-set',
          message: `only one PolicySet may be loaded; another is at ${others(ids, sets, i)}`,
          hint: 'merge the PolicySet documents into one',
          ...ids[i].span,
        }),
      );
    }
  }
  return { diagnostics, rejected };
}

function others(ids: readonly DocumentIdentity[], group: readonly number[], self: number): string {
  return group
    .filter((j) => j !== self)
    .map((j) => where(ids[j].span.pos))
    .join(', ');
}

function where(pos: SourcePos): string {
  return `${pos.file}:${pos.line}:${pos.column}`;
}
