import { describe, expect, test } from 'vitest';
import { formatDiagnostic } from '../../src/policy/index.js';
import { closest, editDistance } from '../../src/policy/suggest.js';
import type { Diagnostic } from '../../src/policy/types.js';

const base: Diagnostic = {
  severity: 'error',
  code: 'unknown-key',
  message: "unknown key 'whne' in spec.rules[0]",
  pos: { file: 'p.yaml', line: 12, column: 7 },
};

describe('formatDiagnostic', () => {
  test('header, source line with a caret as wide as the problem, hint', () => {
    const text = formatDiagnostic({ ...base, sourceLine: '      whne: x > 1', length: 4, hint: "did you mean 'when'?" });
    expect(text).toBe(
      [
        "p.yaml:12:7: error[unknown-key]: unknown key 'whne' in spec.rules[0]",
        '  12 |       whne: x > 1',
        '     |       ^^^^',
        "  hint: did you mean 'when'?",
      ].join('\n'),
    );
  });

  test('without the source at hand: only the header (and hint)', () => {
    expect(formatDiagnostic(base)).toBe("p.yaml:12:7: error[unknown-key]: unknown key 'whne' in spec.rules[0]");
    expect(formatDiagnostic({ ...base, severity: 'warning', code: 'empty-file', message: 'm' })).toBe('p.yaml:12:7: warning[empty-file]: m');
  });

  test('tabs in the source line keep the caret aligned; the caret never runs past the line', () => {
    const text = formatDiagnostic({ ...base, pos: { file: 'p.yaml', line: 3, column: 3 }, sourceLine: '\t\tabc', length: 99 });
    expect(text.split('\n').slice(1)).toEqual(['  3 | \t\tabc', '    | \t\t^^^']);
  });

  test('a position at the end of the line gets one caret', () => {
    const text = formatDiagnostic({ ...base, pos: { file: 'p.yaml', line: 5, column: 12 }, sourceLine: '      when:' });
    expect(text.split('\n')[2]).toBe('    |            ^');
  });
});

describe('did you mean', () => {
  test('edit distance counts a swap as one edit', () => {
    expect(editDistance('whne', 'when')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  test('case and separators are ignored, synonyms from other policy languages are known', () => {
    const keys = ['id', 'when', 'unless', 'decision', 'retry_after', 'fail_open'];
    expect(closest('failOpen', keys)).toBe('fail_open');
    expect(closest('retry-after', keys)).toBe('retry_after');
    expect(closest('condition', keys)).toBe('when');
    expect(closest('effect', keys)).toBe('decision');
    expect(closest('priority', keys)).toBeUndefined();
  });
});
