// Wording shared by the diagnostics: paths, values and types as a reader would say them.

import type { Path } from './locator.js';

/** `spec.rules[0].when`; the root is "the document". */
export function fieldName(path: Path): string {
  if (path.length === 0) return 'the document';
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** "string '10'", "number 1.5", "a list", ... for "got ..." in messages. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'an empty value';
  if (Array.isArray(v)) return 'a list';
  switch (typeof v) {
    case 'string':
      return `string ${quote(v)}`;
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof v === 'bigint' ? 'number' : typeof v} ${String(v)}`;
    case 'object':
      return 'a mapping';
    default:
      return typeof v;
  }
}

/** A value that should have been a word: 'Polcy' for strings, described otherwise (number 42). */
export function shown(v: unknown): string {
  return typeof v === 'string' ? quote(v) : describeValue(v);
}

/** JSON Schema type names as a reader would say them. */
export function describeType(type: string | readonly string[]): string {
  const one = (t: string): string => {
    switch (t) {
      case 'string':
        return 'a string';
      case 'integer':
        return 'an integer';
      case 'number':
        return 'a number';
      case 'boolean':
        return 'true or false';
      case 'object':
        return 'a mapping';
      case 'array':
        return 'a list';
      case 'null':
        return 'empty';
      default:
        return t;
    }
  };
  if (typeof type === 'string') return one(type);
  return type.map(one).join(' or ');
}

/** A value for a message: quoted, shortened when long. */
export function quote(v: string): string {
  const short = v.length > 40 ? `${v.slice(0, 37)}...` : v;
  return `'${short.replace(/\n/g, '\\n')}'`;
}

/** A near miss turned into a valid name or rule id (`Budget Guard` → `budget-guard`), for hints. */
export function slugify(v: string): string {
  const s = v
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return s === '' ? 'my-name' : s;
}

/** A near miss turned into a CEL identifier (`est-cost` → `est_cost`), for hints. */
export function identifierFor(v: string): string {
  const s = v.replace(/[^A-Za-z0-9_]+/g, '_');
  return /^[A-Za-z_]/.test(s) ? s : `_${s}`;
}

export function listOf(values: readonly unknown[]): string {
  return values.map((v) => String(v)).join(', ');
}
