// at(offset): from an offset in an expression's decoded text back to the file.

import { describe, expect, test } from 'vitest';
import { loadPolicyText } from '../../src/policy/index.js';
import type { PolicyDoc, SourceText } from '../../src/policy/types.js';
import { lc } from './helpers.js';

/** Loads a policy whose one `let` binding `x` is written as `lines` (the first line starts with `x:` at column 5, line 5). */
function letX(...lines: string[]): SourceText {
  const yaml = [
    'apiVersion: policy.llm/v1',
    'kind: Policy',
    'metadata: { name: n }',
    'spec:',
    '  let:',
    ...lines.map((l) => `    ${l}`),
    '  rules: [{ id: r, decision: allow }]',
    '',
  ].join('\n');
  const { documents, diagnostics } = loadPolicyText(yaml, 'x.yaml');
  expect(diagnostics).toEqual([]);
  return (documents[0] as PolicyDoc).lets[0].expr;
}

describe('at(offset)', () => {
  test('plain scalar: exact', () => {
    const x = letX('x: a.b + c');
    expect(x.text).toBe('a.b + c');
    expect([lc(x, 0), lc(x, 4), lc(x, 6), lc(x, 7)]).toEqual(['6:8', '6:12', '6:14', '6:15']);
    expect(x.pos).toEqual({ file: 'x.yaml', line: 6, column: 8 });
  });

  test("single-quoted scalar: exact, '' is one quote", () => {
    const x = letX("x: 'a == ''b'' && c'");
    expect(x.text).toBe("a == 'b' && c");
    expect(x.pos.column).toBe(9);
    expect([5, 6, 7, 8, 9, 12, 13].map((o) => lc(x, o))).toEqual(['6:14', '6:16', '6:17', '6:19', '6:20', '6:23', '6:24']);
  });

  test('double-quoted scalar: exact, escapes of every length', () => {
    const x = letX('x: "\\"é\\" == \\u00e9 && \\U0001F600 == s"');
    expect(x.text).toBe('"é" == é && \u{1F600} == s');
    const cols = Array.from({ length: x.text.length + 1 }, (_, o) => x.at(o).column);
    expect(cols).toEqual([9, 11, 12, 14, 15, 16, 17, 18, 24, 25, 26, 27, 28, 28, 38, 39, 40, 41, 42, 43]);
  });

  test('literal block scalar: exact, each line offset by the indentation', () => {
    const x = letX('x: |', '  a &&', '    b', '  c');
    expect(x.text).toBe('a &&\n  b\nc\n');
    expect(x.pos).toEqual({ file: 'x.yaml', line: 7, column: 7 });
    // the more-indented line keeps its two extra spaces as content
    expect([0, 3, 4, 5, 7, 9].map((o) => lc(x, o))).toEqual(['7:7', '7:10', '7:11', '8:7', '8:9', '9:7']);
    expect(x.lineText?.(7)).toBe('        b');
  });

  test('literal block scalar with an indentation indicator and a leading blank line', () => {
    const x = letX('x: |2', '', '     a');
    expect(x.text).toBe('\n   a\n');
    expect(lc(x, 4)).toBe('8:10');
  });

  test('folded block scalar: written characters exact, a folded line break maps to the break', () => {
    const x = letX('x: >', '  a &&', '  b');
    expect(x.text).toBe('a && b\n');
    expect([lc(x, 0), lc(x, 3), lc(x, 4), lc(x, 5)]).toEqual(['7:7', '7:10', '7:11', '8:7']);
  });

  test('multi-line plain and double-quoted scalars', () => {
    const plain = letX('x: a &&', '  b');
    expect(plain.text).toBe('a && b');
    expect([lc(plain, 0), lc(plain, 4), lc(plain, 5)]).toEqual(['6:8', '6:12', '7:7']);
    const quoted = letX('x: "a &&\\', '  b"');
    expect(quoted.text).toBe('a &&b');
    expect([lc(quoted, 3), lc(quoted, 4)]).toEqual(['6:12', '7:7']);
  });

  test('numbers written the CEL way are exact', () => {
    const x = letX('x: 1.5');
    expect(x.text).toBe('1.5');
    expect(lc(x, 2)).toBe('6:10');
  });

  test('offsets out of range clamp to the ends', () => {
    const x = letX('x: abc');
    expect(lc(x, -5)).toBe('6:8');
    expect(lc(x, 99)).toBe('6:11');
  });

  test('a flow mapping and the text after an anchor', () => {
    const yaml = [
      'apiVersion: policy.llm/v1',
      'kind: Policy',
      'metadata: { name: n }',
      'spec:',
      '  let: { y: &cond "a > 1" }',
      '  rules: [{ id: r, when: *cond, decision: deny }]',
    ].join('\n');
    const doc = loadPolicyText(yaml, 'x.yaml').documents[0] as PolicyDoc;
    expect(lc(doc.lets[0].expr, 2)).toBe('5:22');
    // An alias points at the anchored text: that is where the expression is written.
    expect(doc.rules[0].when?.text).toBe('a > 1');
    expect(lc(doc.rules[0].when!, 2)).toBe('5:22');
  });
});
