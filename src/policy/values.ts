// Small helpers for plain (JSON-like) values as parsed from documents.

import type { Path } from './locator.js';

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The value at `path` inside `root`, or undefined. */
export function valueAt(root: unknown, path: Path): unknown {
  let v = root;
  for (const seg of path) {
    if (Array.isArray(v) && typeof seg === 'number') v = v[seg];
    else if (isRecord(v)) v = v[String(seg)];
    else return undefined;
  }
  return v;
}

/** A JSON pointer into `root` as a path; array indices become numbers (the pointer alone cannot tell `0` the key from 0 the index). */
export function pointerPath(pointer: string, root: unknown): (string | number)[] {
  const out: (string | number)[] = [];
  if (pointer === '') return out;
  let v: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(v)) {
      out.push(Number(seg));
      v = v[Number(seg)];
    } else {
      out.push(seg);
      v = isRecord(v) ? v[seg] : undefined;
    }
  }
  return out;
}
