// The error table of docs/api.md ("| code | HTTP | gRPC | when |") must say
// exactly what src/server/errors.ts does: every code of ERROR_CODES, no other,
// each with its HTTP status and gRPC status code. Change one, change both.

import { status as GrpcStatus } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { ERROR_CODES } from '../../src/server/errors.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const DOC = 'docs/api.md';

interface Row {
  readonly line: number;
  readonly code: string;
  readonly http: string;
  readonly grpc: string;
  readonly when: string;
}

const cells = (line: string): string[] =>
  line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/) // a cell may hold an escaped \|
    .map((c) => c.trim());

const unquote = (cell: string): string => cell.replace(/^`(.*)`$/, '$1');

/** The rows of the one table whose header is `| code | HTTP | gRPC | when |`. */
function errorTable(markdown: string): Row[] {
  const lines = markdown.split('\n');
  const headers = lines.flatMap((l, i) => (/^\|/.test(l.trim()) && cells(l).join('|').toLowerCase() === 'code|http|grpc|when' ? [i] : []));
  if (headers.length !== 1) throw new Error(`expected one table with the header | code | HTTP | gRPC | when |, found ${headers.length}`);
  const start = headers[0]!;
  if (!/^\|?\s*:?-{3,}/.test(lines[start + 1]?.trim() ?? '')) throw new Error(`the error table's header (line ${start + 1}) is not followed by a separator row`);
  const rows: Row[] = [];
  for (let i = start + 2; i < lines.length && lines[i]!.trim().startsWith('|'); i++) {
    const c = cells(lines[i]!);
    if (c.length !== 4) throw new Error(`line ${i + 1}: the error table has 4 columns, this row has ${c.length}`);
    rows.push({ line: i + 1, code: unquote(c[0]!), http: unquote(c[1]!), grpc: unquote(c[2]!), when: c[3]! });
  }
  return rows;
}

const GRPC_NAMES = Object.fromEntries(Object.entries(GrpcStatus).filter(([, v]) => typeof v === 'number')) as Record<string, number>;

describe(`the error table of ${DOC}`, () => {
  const rows = errorTable(readFileSync(join(ROOT, DOC), 'utf8'));

  test('lists every code of ERROR_CODES once, and no other', () => {
    const codes = rows.map((r) => r.code);
    expect(new Set(codes).size, `a code is listed twice: ${codes.join(', ')}`).toBe(codes.length);
    expect([...codes].sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  test('gives each code the HTTP status and gRPC status code of ERROR_CODES', () => {
    const documented = Object.fromEntries(
      rows.map((r) => {
        if (!/^\d{3}$/.test(r.http)) throw new Error(`${DOC}:${r.line}: HTTP must be a status number, got '${r.http}'`);
        const grpc = GRPC_NAMES[r.grpc];
        if (grpc === undefined) throw new Error(`${DOC}:${r.line}: '${r.grpc}' is not a gRPC status name (e.g. INVALID_ARGUMENT)`);
        return [r.code, { http: Number(r.http), grpc }];
      }),
    );
    expect(documented).toEqual(ERROR_CODES);
  });

  test('says when each code is returned', () => {
    for (const r of rows) expect(r.when.length, `${DOC}:${r.line}: the "when" column of ${r.code} is empty`).toBeGreaterThan(10);
  });
});

describe('errorTable', () => {
  test('reads the rows after the header and separator, up to the first line that is not a row', () => {
    const md = ['text', '', '| code | HTTP | gRPC | when |', '| --- | --- | --- | --- |', '| `a_b` | 400 | `INVALID_ARGUMENT` | x \\| y |', '| c | 404 | NOT_FOUND | z |', '', '| other | table |'].join('\n');
    expect(errorTable(md).map((r) => [r.code, r.http, r.grpc])).toEqual([
      ['a_b', '400', 'INVALID_ARGUMENT'],
      ['c', '404', 'NOT_FOUND'],
    ]);
  });

  test('refuses a document without the table, or with two', () => {
    expect(() => errorTable('| a | b |\n| - | - |\n')).toThrow(/found 0/);
    const t = '| code | HTTP | gRPC | when |\n| --- | --- | --- | --- |\n';
    expect(() => errorTable(`${t}\n${t}`)).toThrow(/found 2/);
  });
});
