// A BPE vocabulary in four typed arrays, and the byte-pair merge that counts
// the tokens of one pre-token.
//
// Why our own: tokens() only counts. gpt-tokenizer's encoder keeps each of the
// 200,000 tokens of o200k_base as a JavaScript string (or an array of bytes)
// in an array, again as a Map key, and a merge cache on top: about 15 MB of
// heap, and 25 MB of resident memory once loaded, for a daemon expected to
// idle under 100 MB. Here the tokens' bytes sit end to end in one Uint8Array,
// found through an open-addressing hash table of Int32 slots: about 5 MB for
// o200k_base, outside the JavaScript heap. The merge is tiktoken's
// (`_byte_pair_merge`): repeatedly join the adjacent pair whose bytes have the
// lowest rank, leftmost first, until no adjacent pair is a token; the parts
// left are the tokens. test/functions/bpe-vocabulary.test.ts compares the
// counts with gpt-tokenizer's on real and random text, and the vocabulary with
// its ranks, token by token.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** The value base64 digit `c` (a char code) stands for, or -1 (padding, anything else). */
const BASE64 = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) BASE64['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.charCodeAt(i)] = i;

export class BpeVocabulary {
  /** Every token's bytes, end to end, in rank order. */
  private readonly bytes: Uint8Array;
  /** Where the token of rank r starts in `bytes` (r + 1: where it ends). */
  private readonly starts: Uint32Array;
  /** Hash slots: rank + 1, 0 for an empty slot. */
  private readonly slots: Int32Array;
  private readonly mask: number;
  /** Scratch for one pre-token: its UTF-8 bytes, the parts' starts and the ranks of their pairs. */
  private buf = new Uint8Array(1024);
  private partStart = new Int32Array(1025);
  private pairRank = new Int32Array(1025);

  private constructor(bytes: Uint8Array, starts: Uint32Array) {
    this.bytes = bytes;
    this.starts = starts;
    const count = starts.length - 1;
    let size = 1;
    while (size < count * 2) size <<= 1;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    for (let r = 0; r < count; r++) {
      let i = this.hash(bytes, starts[r]!, starts[r + 1]!) & this.mask;
      while (this.slots[i] !== 0) i = (i + 1) & this.mask;
      this.slots[i] = r + 1;
    }
  }

  /** The vocabulary of a gpt-tokenizer encoding, from its `data/<name>.tiktoken` file. */
  static load(encoding: string): BpeVocabulary {
    const file = require.resolve(`gpt-tokenizer/data/${encoding}.tiktoken`);
    return BpeVocabulary.fromTiktoken(readFileSync(file, 'latin1'), file);
  }

  /** Parses tiktoken's format: one line per token, `<base64 bytes> <rank>`, ranks 0..n-1 in order. */
  static fromTiktoken(text: string, where = 'tiktoken data'): BpeVocabulary {
    // Decoded bytes are at most 3/4 of the text: one buffer, trimmed at the end.
    const bytes = new Uint8Array(Math.ceil((text.length * 3) / 4));
    const starts: number[] = [];
    let n = 0;
    let i = 0;
    while (i < text.length) {
      const space = text.indexOf(' ', i);
      let end = text.indexOf('\n', space);
      if (end < 0) end = text.length;
      if (space < 0 || space > end) throw new Error(`${where}: line at offset ${i} is not "<base64 token> <rank>"`);
      const rank = Number(text.slice(space + 1, end));
      if (rank !== starts.length) throw new Error(`${where}: rank ${text.slice(space + 1, end)} at offset ${space + 1}, expected ${starts.length} (ranks must run 0, 1, 2, ...)`);
      starts.push(n);
      // Base64, 4 digits → 3 bytes; '=' padding ends the token.
      let acc = 0;
      let bits = 0;
      for (let k = i; k < space; k++) {
        const c = text.charCodeAt(k);
        if (c === 0x3d) break;
        const v = c < 128 ? BASE64[c]! : -1;
        if (v < 0) throw new Error(`${where}: "${text[k]}" at offset ${k} is not base64`);
        acc = ((acc << 6) | v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
          bits -= 8;
          bytes[n++] = (acc >> bits) & 0xff;
        }
      }
      if (n === starts[starts.length - 1]) throw new Error(`${where}: empty token at offset ${i}`);
      i = end + 1;
      while (i < text.length && text.charCodeAt(i) === 0x0a) i++; // a trailing blank line
    }
    starts.push(n);
    return new BpeVocabulary(bytes.slice(0, n), Uint32Array.from(starts));
  }

  /** How many tokens the vocabulary has. */
  get size(): number {
    return this.starts.length - 1;
  }

  /** The bytes of the token of `rank` (a copy). */
  tokenBytes(rank: number): Uint8Array {
    return this.bytes.slice(this.starts[rank], this.starts[rank + 1]);
  }

  private hash(b: Uint8Array, from: number, to: number): number {
    let h = FNV_OFFSET;
    for (let k = from; k < to; k++) h = Math.imul(h ^ b[k]!, FNV_PRIME);
    return h >>> 0;
  }

  /** The rank of the bytes b[from, to), or -1 when they are not a token. */
  rank(b: Uint8Array, from: number, to: number): number {
    const len = to - from;
    const { bytes, starts, slots, mask } = this;
    for (let i = this.hash(b, from, to) & mask; ; i = (i + 1) & mask) {
      const r = slots[i]! - 1;
      if (r < 0) return -1;
      const s = starts[r]!;
      if (starts[r + 1]! - s !== len) continue;
      let k = 0;
      while (k < len && bytes[s + k] === b[from + k]) k++;
      if (k === len) return r;
    }
  }

  /** The number of tokens of one pre-token (a piece the split regex matched). */
  countPiece(piece: string): number {
    const n = this.utf8(piece);
    if (n <= 1) return n;
    const b = this.buf;
    if (this.rank(b, 0, n) >= 0) return 1;
    // tiktoken's merge over parts[0..m): part j spans starts[j]..starts[j + 1]; pairRank[j] is
    // the rank of parts j and j + 1 joined (MAX when they are not a token).
    const MAX = 0x7fffffff;
    const start = this.partStart;
    const pair = this.pairRank;
    let m = n; // parts
    for (let j = 0; j <= n; j++) start[j] = j;
    for (let j = 0; j < m - 1; j++) {
      const r = this.rank(b, j, j + 2);
      pair[j] = r < 0 ? MAX : r;
    }
    while (m > 1) {
      let best = MAX;
      let at = -1;
      for (let j = 0; j < m - 1; j++) {
        if (pair[j]! < best) {
          best = pair[j]!;
          at = j;
        }
      }
      if (at < 0) break;
      // Join parts at and at + 1: remove start[at + 1] and the pair rank after it.
      start.copyWithin(at + 1, at + 2, m + 1);
      pair.copyWithin(at + 1, at + 2, m - 1);
      m--;
      if (at < m - 1) {
        const r = this.rank(b, start[at]!, start[at + 2]!);
        pair[at] = r < 0 ? MAX : r;
      }
      if (at > 0) {
        const r = this.rank(b, start[at - 1]!, start[at + 1]!);
        pair[at - 1] = r < 0 ? MAX : r;
      }
    }
    return m;
  }

  /** Writes `s` as UTF-8 into the scratch buffer (lone surrogates as U+FFFD, as TextEncoder does); returns the length. */
  private utf8(s: string): number {
    if (s.length * 3 > this.buf.length) {
      this.buf = new Uint8Array(s.length * 3);
      this.partStart = new Int32Array(s.length * 3 + 1);
      this.pairRank = new Int32Array(s.length * 3 + 1);
    }
    const b = this.buf;
    let n = 0;
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) {
        b[n++] = c;
        continue;
      }
      if (c < 0x800) {
        b[n++] = 0xc0 | (c >> 6);
        b[n++] = 0x80 | (c & 0x3f);
        continue;
      }
      if (c >= 0xd800 && c <= 0xdfff) {
        const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
          b[n++] = 0xf0 | (c >> 18);
          b[n++] = 0x80 | ((c >> 12) & 0x3f);
          b[n++] = 0x80 | ((c >> 6) & 0x3f);
          b[n++] = 0x80 | (c & 0x3f);
          continue;
        }
        c = 0xfffd;
      }
      b[n++] = 0xe0 | (c >> 12);
      b[n++] = 0x80 | ((c >> 6) & 0x3f);
      b[n++] = 0x80 | (c & 0x3f);
    }
    return n;
  }
}
