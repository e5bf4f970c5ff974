// The vocabularies read from the tiktoken data files are gpt-tokenizer's own,
// entry for entry (see src/functions/bpe-ranks.ts for why we read them so).

import { createRequire } from 'node:module';
import { describe, test } from 'vitest';
import { readBpeRanks } from '../../src/functions/bpe-ranks.js';

const require = createRequire(import.meta.url);

describe('readBpeRanks', () => {
  for (const name of ['o200k_base', 'cl100k_base']) {
    test(`${name}: the same ranks as gpt-tokenizer's bpeRanks module`, ({ expect }) => {
      const ours = readBpeRanks(name);
      const theirs = (require(`gpt-tokenizer/bpeRanks/${name}`) as { default: (string | number[])[] }).default;
      expect(ours.length).toBe(theirs.length);
      const differ: number[] = [];
      for (let i = 0; i < theirs.length; i++) {
        const a = ours[i];
        const b = theirs[i];
        const same = typeof b === 'string' ? a === b : Array.isArray(a) && a.length === b!.length && a.every((x, j) => x === b![j]);
        if (!same) differ.push(i);
      }
      expect(differ.slice(0, 10)).toEqual([]);
      // Both kinds occur: text tokens and byte tokens (partial UTF-8, a leading byte-order mark).
      expect(ours.some((t) => Array.isArray(t))).toBe(true);
    });
  }

  test('an unknown encoding is an error naming it', ({ expect }) => {
    expect(() => readBpeRanks('nope_base')).toThrow(/nope_base/);
  });
});
