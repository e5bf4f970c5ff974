// Our BPE vocabulary and merge (src/functions/bpe-vocabulary.ts) against
// gpt-tokenizer's: the same tokens at the same ranks, and the same counts on
// real and random text, for every encoding tokens() uses.

import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { BpeVocabulary } from '../../src/functions/bpe-vocabulary.js';
import { countExact } from '../../src/functions/tokens.js';
import { ROOT } from '../cli/helpers.js';

const require = createRequire(import.meta.url);
const ENCODINGS = ['o200k_base', 'cl100k_base'] as const;
type Lib = { countTokens(s: string, o?: { disallowedSpecial?: Set<string> }): number };
// Special-token text counted as ordinary text, as tokens() does (tiktoken's encode_ordinary).
const ORDINARY = { disallowedSpecial: new Set<string>() };

/** A deterministic random generator (mulberry32): the same texts every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Pieces text is made of: words, numbers, punctuation, whitespace runs, other scripts, emoji, lone
 * surrogates, special-token text. Not U+FEFF: see the byte-order-mark test below.
 */
const PIECES = [
  'the', ' quick', ' brown', 'Fox', ' jumps', "'s", "'ll", ' über', ' naïve', ' café', 'ſtraße', '12345', ' 3.14159', '2026-11-28',
  ',', '.', '!?', ' --', '...', '()', '{"a": [1, 2]}', ' <|endoftext|>', '<|im_start|>', ' ', '  ', '\n', '\n\n', '\t', ' \r\n ', '   \n',
  '日本語のテキスト', '中文', '한국어', 'Русский', ' العربية', 'हिन्दी', '🙂', '👩‍👩‍👧', '🇫🇷', '\u{1F600}\u{1F601}', '\uD83D', '\uDE00', '\u200B', 'ǅ',
  'https://example.com/a?b=c', ' SELECT * FROM t;', 'camelCaseWord', 'ALLCAPS', ' x'.repeat(5), 'aaaaaaaaaaaa', '0000000', '$$$', '\\n',
];

function randomText(rnd: () => number, pieces: number): string {
  let s = '';
  for (let i = 0; i < pieces; i++) s += PIECES[Math.floor(rnd() * PIECES.length)];
  return s;
}

describe('BpeVocabulary', () => {
  for (const name of ENCODINGS) {
    test(`${name}: the same tokens at the same ranks as gpt-tokenizer`, () => {
      const ours = BpeVocabulary.load(name);
      const theirs = (require(`gpt-tokenizer/bpeRanks/${name}`) as { default: (string | number[])[] }).default;
      expect(ours.size).toBe(theirs.length);
      const differ: number[] = [];
      for (let r = 0; r < theirs.length; r++) {
        const t = theirs[r]!;
        const expected = typeof t === 'string' ? new TextEncoder().encode(t) : Uint8Array.from(t);
        const got = ours.tokenBytes(r);
        if (got.length !== expected.length || got.some((x, i) => x !== expected[i])) differ.push(r);
        else if (ours.rank(got, 0, got.length) !== r) differ.push(r);
      }
      expect(differ.slice(0, 10)).toEqual([]);
    });

    test(`${name}: the same counts as gpt-tokenizer on random text`, () => {
      const lib = require(`gpt-tokenizer/encoding/${name}`) as Lib;
      const rnd = random(name.length * 7919);
      const differ: string[] = [];
      for (let i = 0; i < 3000; i++) {
        const text = randomText(rnd, 1 + Math.floor(rnd() * 40));
        if (countExact(text, name) !== lib.countTokens(text, ORDINARY)) differ.push(text);
      }
      expect(differ.slice(0, 5)).toEqual([]);
    });

    test(`${name}: the same counts as gpt-tokenizer on the repository's prose and code`, () => {
      const lib = require(`gpt-tokenizer/encoding/${name}`) as Lib;
      const files = [
        ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join(ROOT, 'docs', f)),
        join(ROOT, 'src/functions/bpe-vocabulary.ts'),
        join(ROOT, 'src/functions/tokens.ts'),
      ];
      for (const file of files) {
        const text = readFileSync(file, 'utf8');
        expect(countExact(text, name), file).toBe(lib.countTokens(text, ORDINARY));
      }
    });
  }

  test('a byte-order mark (U+FEFF) inside text: merged as bytes, as tiktoken does; gpt-tokenizer differs there', () => {
    // gpt-tokenizer looks merged bytes up as text decoded by TextDecoder, which drops a leading
    // byte-order mark, so spans that start with one are not found: it counts "a\uFEFF" as 3
    // tokens (a, then the mark's bytes as two). Merging bytes, the mark is one token.
    const lib = require('gpt-tokenizer/encoding/o200k_base') as Lib;
    expect(lib.countTokens('a\uFEFF', ORDINARY)).toBe(3);
    expect(countExact('a\uFEFF', 'o200k_base')).toBe(2);
    const v = BpeVocabulary.load('o200k_base');
    expect(v.rank(Uint8Array.of(0xef, 0xbb, 0xbf), 0, 3)).toBeGreaterThanOrEqual(0);
    expect(countExact('\uFEFF', 'o200k_base')).toBe(1);
  });

  test('every single byte is a token, and a text that is one token counts 1', () => {
    const v = BpeVocabulary.load('o200k_base');
    for (let b = 0; b < 256; b++) expect(v.rank(Uint8Array.of(b), 0, 1)).toBeGreaterThanOrEqual(0);
    expect(v.countPiece(' the')).toBe(1);
    expect(v.countPiece('')).toBe(0);
  });

  test('a malformed vocabulary file is an error that says where', () => {
    expect(() => BpeVocabulary.fromTiktoken('YQ== 0\nYg== 2\n', 'f.tiktoken')).toThrow(/f\.tiktoken: rank 2 .*expected 1/);
    expect(() => BpeVocabulary.fromTiktoken('YQ==\n', 'f.tiktoken')).toThrow(/f\.tiktoken: line at offset 0/);
    expect(() => BpeVocabulary.fromTiktoken('Y*== 0\n', 'f.tiktoken')).toThrow(/"\*" at offset 1 is not base64/);
    expect(() => BpeVocabulary.load('nope_base')).toThrow(/nope_base/);
  });

  test('a small vocabulary merges lowest rank first, leftmost on ties (tiktoken)', () => {
    // a b c, then "ab" (3), "bc" (4), "abc" (5): "abc" is one token; "abab" → ab + ab.
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const v = BpeVocabulary.fromTiktoken(['a', 'b', 'c', 'ab', 'bc', 'abc'].map((t, r) => `${b64(t)} ${r}`).join('\n') + '\n');
    expect(v.countPiece('abc')).toBe(1);
    expect(v.countPiece('abab')).toBe(2);
    expect(v.countPiece('cab')).toBe(2); // c + ab
    expect(v.countPiece('bca')).toBe(2); // bc + a
  });
});
