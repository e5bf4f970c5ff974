// Golden tests for compile-time error messages: the cases are in
// golden/errors.yaml, the expected messages in golden/errors/<name>.txt. After
// a deliberate change to a message, regenerate them with
//   UPDATE_GOLDEN=1 npx vitest run test/cel/errors.test.ts
// and review the diff.

import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CelCompileError, formatIssue } from '../../src/cel/errors.js';
import { parse } from '../../src/cel/parser.js';
import { compileError } from './helpers.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CASES_FILE = join(HERE, 'golden', 'errors.yaml');
const GOLDEN_DIR = join(HERE, 'golden', 'errors');

interface Case {
  readonly name: string;
  readonly expr: string;
  readonly env?: 'strict';
}

const cases = parseYaml(readFileSync(CASES_FILE, 'utf8')) as Case[];

/** Compares with golden/errors/<name>.txt, or (re)writes it when UPDATE_GOLDEN=1. */
function expectGolden(name: string, actual: string): void {
  const file = join(GOLDEN_DIR, `${name}.txt`);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) throw new Error(`missing golden file ${file}; run with UPDATE_GOLDEN=1 to create it`);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

/** The golden text: the expression (JSON-quoted, so newlines and tabs show), the issue codes, then the message. */
function render(c: Case, err: CelCompileError): string {
  const codes = err.issues.map((i) => i.code).join(', ');
  return `expr: ${JSON.stringify(c.expr)}${c.env ? `\nenv: ${c.env}` : ''}\ncodes: ${codes}\n\n${err.message}\n`;
}

describe('golden compile errors', () => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', (name, c) => {
    const err = compileError(c.expr, c.env === 'strict' ? { numericPromotion: false } : undefined);
    // Every issue points inside the expression and is rendered by formatIssue.
    for (const issue of err.issues) {
      expect(issue.start).toBeGreaterThanOrEqual(0);
      expect(issue.end).toBeGreaterThanOrEqual(issue.start);
      expect(issue.start).toBeLessThanOrEqual(c.expr.length);
    }
    expect(err.message).toBe(err.issues.map((i) => formatIssue(c.expr, i)).join('\n'));
    expectGolden(name, render(c, err));
  });

  it('case names are unique and every golden file belongs to a case', () => {
    const names = cases.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    if (process.env.UPDATE_GOLDEN === '1') return;
    expect(readdirSync(GOLDEN_DIR).sort()).toEqual(names.map((n) => `${n}.txt`).sort());
  });
});

describe('every compile failure is a CelCompileError', () => {
  // The policy loader reports CelCompileErrors as diagnostics and rethrows anything
  // else; lexical errors used to escape parse() as bare LexErrors.
  it.each(["'abc", "'\\q'", '1abc', '0x', 'a # b', '`abc', "b'\\u0041'"])('%s', (src) => {
    expect(() => parse(src)).toThrow(CelCompileError);
    const err = compileError(src);
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]?.code).toBe('syntax');
  });

  it('issues come in source order, each once', () => {
    const err = compileError("size(requets) + tenant.x == Foo{a: 1}");
    expect(err.issues.map((i) => [i.code, i.start])).toEqual([
      ['undeclared', 5],
      ['undeclared', 16],
      ['unsupported', 28],
    ]);
  });
});

describe('formatIssue', () => {
  const fmt = (source: string, start: number, end: number): string => formatIssue(source, { code: 'x', message: 'm', start, end });

  it('puts line:column first and underlines the span on its line only', () => {
    expect(fmt('a +\nbcd', 4, 7)).toBe('2:1: m\n | bcd\n | ^^^');
    expect(fmt('abc\ndef', 1, 6)).toBe('1:2: m\n | abc\n |  ^^'); // the span continues on the next line
    expect(fmt('abc', 3, 3)).toBe('1:4: m\n | abc\n |    ^'); // at the end: one caret after the text
  });

  it('keeps tabs under the caret so it lines up with the source', () => {
    expect(fmt('\t\tx y', 4, 5)).toBe('1:5: m\n | \t\tx y\n | \t\t  ^');
  });

  it('cuts long lines to a window around the column', () => {
    const line = 'a'.repeat(500) + 'X' + 'b'.repeat(500);
    const [head, shown, caret] = fmt(line, 500, 501).split('\n');
    expect(head).toBe('1:501: m');
    expect(shown).toBe(` | …${'a'.repeat(40)}X${'b'.repeat(59)}…`);
    expect(caret).toBe(` | ${' '.repeat(41)}^`);
  });
});
