// Content hash of a document: sha256 of its canonical JSON (object keys sorted,
// no whitespace). Formatting, comments, key order and YAML-vs-JSON do not change
// it, so a reload can skip recompiling documents whose content is unchanged.
// Positions are not part of it: a document that only moved keeps its hash.

import { createHash } from 'node:crypto';

export function documentHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    // undefined cannot occur in parsed documents; non-finite numbers (.inf) get a spelling JSON lacks.
    if (typeof value === 'number' && !Number.isFinite(value)) return JSON.stringify(String(value));
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  const obj = value as Record<string, unknown>;
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}
