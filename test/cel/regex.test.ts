import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { compileRegex } from '../../src/cel/regex.js';
import { analyzeLiteral } from '../../src/cel/regex-literal.js';
import { CelError } from '../../src/cel/errors.js';

// A small deterministic PRNG so failures reproduce.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

// Characters chosen to probe the edges: case folding (K/k/Kelvin, s/ſ), dotted I,
// newlines, regex metacharacters used as escaped literals, an astral character.
const ALPHABET = ['a', 'b', 'k', 'K', '\u212A', 's', 'S', '\u017F', 'I', '\u0130', 'i', '.', '-', '@', '\n', ' ', '😀'];
const LIT_CHARS = ['a', 'b', 'k', 'K', 's', 'S', 'i', 'I', '\\.', '\\-', '@', ' ', '😀', '\\(', '\\\\'];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function literal(r: () => number, max = 3): string {
  let s = '';
  const n = Math.floor(r() * (max + 1));
  for (let i = 0; i < n; i++) s += pick(r, LIT_CHARS);
  return s;
}

function randomPattern(r: () => number): string {
  let p = r() < 0.3 ? '(?i)' : '';
  if (r() < 0.3) p += '^';
  p += literal(r);
  if (r() < 0.5) {
    const alts = Array.from({ length: 1 + Math.floor(r() * 3) }, () => literal(r));
    p += (r() < 0.5 ? '(?:' : '(') + alts.join('|') + ')';
    p += literal(r, 2);
  }
  if (r() < 0.3) p += '$';
  return p;
}

function randomInput(r: () => number): string {
  let s = '';
  const n = Math.floor(r() * 8);
  for (let i = 0; i < n; i++) s += pick(r, ALPHABET);
  return s;
}

describe('regex literal fast path', () => {
  it('recognises literal sets and leaves everything else to RE2', () => {
    expect(analyzeLiteral('^gpt-4')).toMatchObject({ alternatives: ['gpt-4'], anchoredStart: true, anchoredEnd: false });
    expect(analyzeLiteral('@(acme|example)\\.com$')).toMatchObject({ alternatives: ['@acme.com', '@example.com'], anchoredEnd: true });
    expect(analyzeLiteral('(?i)(preview|experimental)')).toMatchObject({ alternatives: ['preview', 'experimental'], caseInsensitive: true });
    for (const p of ['a+', 'a.b', '[ab]', '\\d', 'a|b', '(a|b)+', '(?s)a', 'a{2}', '(a(b))', '\\bword', '(?i)é']) {
      expect(analyzeLiteral(p), p).toBeUndefined();
    }
  });

  it('agrees with re2js on 20,000 random patterns and inputs', () => {
    const r = rng(42);
    let checked = 0;
    for (let i = 0; i < 4000; i++) {
      const pattern = randomPattern(r);
      const ours = compileRegex(pattern);
      const ref = RE2JS.compile(pattern);
      for (let j = 0; j < 5; j++) {
        const input = randomInput(r);
        expect(ours.test(input), `${JSON.stringify(pattern)} on ${JSON.stringify(input)}`).toBe(ref.test(input));
        checked++;
      }
    }
    expect(checked).toBe(20000);
  });

  it('reports invalid patterns as CEL errors', () => {
    expect(() => compileRegex('a(b')).toThrow(CelError);
    expect(() => compileRegex('(?<name>a)\\1')).toThrow(/invalid regular expression/);
  });

  it('runs in linear time on patterns that make backtracking engines explode', () => {
    const re = compileRegex('(a+)+$');
    const input = 'a'.repeat(20_000) + 'b';
    const t = performance.now();
    expect(re.test(input)).toBe(false);
    // A backtracking engine needs ~2^20000 steps here; RE2 is linear. Generous bound for slow CI.
    expect(performance.now() - t).toBeLessThan(2000);
  });
});
