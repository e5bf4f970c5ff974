// tokens(): exact BPE counts for OpenAI models (the o200k_base and cl100k_base
// vocabularies shipped in gpt-tokenizer, merged by bpe-vocabulary.ts, loaded on
// first use), an estimate for every other model.

import { createRequire } from 'node:module';
import type { Activation } from '../cel/activation.js';
import { CelError } from '../cel/errors.js';
import { type FunctionDecl, globalOverload } from '../cel/library/overload.js';
import { T } from '../cel/types.js';
import { kindName } from '../cel/values.js';
import { MEMO_KEYS, type ScanOptions, capText, isCelMap, mapField, memoPrefix, memoTable, noteInMemo, resolveMaxScanLength } from './common.js';
import { BpeVocabulary } from './bpe-vocabulary.js';
import { estimateTokens } from './estimate.js';

export type EncodingName = 'o200k_base' | 'cl100k_base';

/** The encoding used when no model is given. */
export const DEFAULT_ENCODING: EncodingName = 'o200k_base';

const CL100K = /^(?:gpt-4(?:-|$)|gpt-3\.5|gpt-35|text-embedding-3|text-embedding-ada-002|babbage-002|davinci-002)/;
const O200K = /^(?:gpt-4o|gpt-4\.|gpt-5|gpt-oss|gpt-realtime|gpt-audio|chatgpt-|chat-latest|codex-|o[1-9](?:-|$)|computer-use|omni-moderation)/;

/** A model name as written in requests, lower-cased and without a router prefix (`openai/gpt-4o` → `gpt-4o`). */
export function normalizeModel(model: string): string {
  const m = model.trim().toLowerCase();
  const slash = m.lastIndexOf('/');
  return slash >= 0 ? m.slice(slash + 1) : m;
}

/**
 * The OpenAI encoding of `model`, or undefined when its tokenizer is not
 * shipped (then tokens() estimates). The empty string means the default model.
 */
export function encodingForModel(model: string): EncodingName | undefined {
  const m = normalizeModel(model);
  if (m === '') return DEFAULT_ENCODING;
  if (CL100K.test(m)) return 'cl100k_base';
  if (O200K.test(m)) return 'o200k_base';
  return undefined;
}

// ---------------------------------------------------------------------------
// Exact counts

interface Loaded {
  readonly vocabulary: BpeVocabulary;
  /** The encoding's pre-tokenizer (private copies: the shared one is a global regex), for the text and for long pre-tokens. */
  readonly split: RegExp;
  readonly splitPiece: RegExp;
}

// Special-token text such as "<|endoftext|>" in a prompt is counted as ordinary text
// (tiktoken's encode_ordinary): a prompt must neither fail nor shrink because of it.
// The count never looks for special tokens.

const require = createRequire(import.meta.url);
const loaded = new Map<EncodingName, Loaded>();

function load(name: EncodingName): Loaded {
  let l = loaded.get(name);
  if (!l) {
    // Synchronous on purpose: evaluation is synchronous. The vocabularies are data inside
    // gpt-tokenizer (about 150 ms to load o200k_base, see bpe-vocabulary.ts); nothing is downloaded.
    const vocabulary = BpeVocabulary.load(name);
    const constants = require('gpt-tokenizer/encodingParams/constants') as Record<string, RegExp>;
    const re = name === 'o200k_base' ? constants.O200K_TOKEN_SPLIT_REGEX : constants.CL100K_TOKEN_SPLIT_REGEX;
    if (!re) throw new Error(`gpt-tokenizer has no pre-tokenizer for ${name}`);
    l = { vocabulary, split: new RegExp(re.source, re.flags), splitPiece: new RegExp(re.source, re.flags) };
    loaded.set(name, l);
  }
  return l;
}

/** The tokens of `text`: its pre-tokens by `split` (a global regex), each merged separately. */
function countSplit(text: string, split: RegExp, vocabulary: BpeVocabulary): number {
  let n = 0;
  split.lastIndex = 0;
  for (let m = split.exec(text); m !== null; m = split.exec(text)) {
    if (m[0].length === 0) split.lastIndex++;
    else n += vocabulary.countPiece(m[0]);
  }
  return n;
}

/** Loads an encoding now (e.g. at startup) instead of on the first tokens() call. */
export function preloadEncoding(name: EncodingName = DEFAULT_ENCODING): void {
  load(name);
}

/** Whether an encoding has been loaded in this process. */
export function isEncodingLoaded(name: EncodingName): boolean {
  return loaded.has(name);
}

/**
 * BPE merges cost time quadratic in the length of one pre-token (a run of
 * letters, punctuation or whitespace the pre-tokenizer does not split): 200 KB
 * of one CJK run takes minutes. Pre-tokens longer than this are counted in
 * pieces of this length, which keeps counting linear; real text never has
 * them (words, CJK clauses and symbol runs are far shorter), and for the
 * degenerate input that does, a piece boundary shifts the count by about one
 * token per piece.
 */
export const MAX_PRETOKEN = 128;

/** The kinds of run a character can be part of (bits): letters, punctuation, whitespace. Non-ASCII is in all three, digits in none. */
const LETTERS = 1;
const PUNCT = 2;
const SPACE = 4;
function runKinds(c: number): number {
  if (c >= 0x80) return LETTERS | PUNCT | SPACE;
  if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) return LETTERS;
  if (c >= 0x30 && c <= 0x39) return 0;
  if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) return SPACE;
  return PUNCT;
}

/**
 * Whether `text` may hold a pre-token longer than MAX_PRETOKEN: a run of
 * letters (or non-ASCII), of punctuation (or non-ASCII) or of whitespace (or
 * non-ASCII) that long. Cheap and conservative; the exact check follows.
 *
 * Such a run has MAX_PRETOKEN + 1 characters or more, so it covers one of the
 * positions MAX_PRETOKEN, 2·MAX_PRETOKEN + 1, … (every (MAX_PRETOKEN + 1)-th):
 * only the runs through those positions are measured, which in ordinary text
 * means reading a few characters around one position in 129, not every
 * character before the count.
 */
function mayHaveLongPretoken(text: string): boolean {
  const n = text.length;
  const stride = MAX_PRETOKEN + 1;
  for (let p = MAX_PRETOKEN; p < n; p += stride) {
    const kinds = runKinds(text.charCodeAt(p));
    for (let kind = LETTERS; kind <= SPACE; kind <<= 1) {
      if ((kinds & kind) === 0) continue;
      // The run of this kind through p. It cannot start before the previous position
      // looked at (p − stride): a run through both would have been found there.
      const floor = Math.max(0, p - stride + 1);
      let a = p;
      while (a > floor && (runKinds(text.charCodeAt(a - 1)) & kind) !== 0) a--;
      let b = p + 1;
      while (b < n && b - a <= MAX_PRETOKEN && (runKinds(text.charCodeAt(b)) & kind) !== 0) b++;
      if (b - a > MAX_PRETOKEN) return true;
    }
  }
  return false;
}

/** Exact count of `text` in encoding `name` (long pre-tokens in pieces: see MAX_PRETOKEN). */
export function countExact(text: string, name: EncodingName): number {
  if (text === '') return 0;
  const { vocabulary, split, splitPiece } = load(name);
  if (!mayHaveLongPretoken(text)) return countSplit(text, split, vocabulary);
  let n = 0;
  split.lastIndex = 0;
  for (let m = split.exec(text); m !== null; m = split.exec(text)) {
    const t = m[0];
    if (t.length === 0) {
      split.lastIndex++;
      continue;
    }
    if (t.length <= MAX_PRETOKEN) {
      n += vocabulary.countPiece(t);
      continue;
    }
    // Each piece is pre-tokenized again on its own, as a text of its own would be.
    for (let i = 0; i < t.length; ) {
      let j = Math.min(t.length, i + MAX_PRETOKEN);
      const last = t.charCodeAt(j - 1);
      if (j < t.length && last >= 0xd800 && last <= 0xdbff) j--;
      n += countSplit(t.slice(i, j), splitPiece, vocabulary);
      i = j;
    }
  }
  return n;
}

// ---------------------------------------------------------------------------
// Counting with a model: exact or estimated, and the scan cap

export interface TokenCount {
  readonly tokens: number;
  /** False when the count is exact BPE; true for non-OpenAI models and for the part beyond the scan cap. */
  readonly estimated: boolean;
  /** The encoding used, for exact counts. */
  readonly encoding?: EncodingName;
}

/** How a text is counted for a model: an encoding, or the estimate. */
type Method = EncodingName | 'estimate';

function methodFor(model: string | undefined): Method {
  return (model === undefined ? DEFAULT_ENCODING : encodingForModel(model)) ?? 'estimate';
}

function countWith(text: string, method: Method, max: number): { tokens: number; truncated: boolean } {
  if (method === 'estimate') {
    // The estimate is a cheap linear pass: no need to cap it.
    return { tokens: estimateTokens(text), truncated: false };
  }
  if (text.length <= max) return { tokens: countExact(text, method), truncated: false };
  // Beyond the cap: the exact count of the first `max` characters, extrapolated.
  const head = capText(text, max);
  const exact = countExact(head, method);
  return { tokens: exact + Math.round((exact / head.length) * (text.length - head.length)), truncated: true };
}

/** Counts a text for `model` (default: o200k_base). */
export function countTokens(text: string, model?: string, opts: ScanOptions = {}): TokenCount {
  const method = methodFor(model);
  const r = countWith(text, method, resolveMaxScanLength(opts));
  return method === 'estimate' ? { tokens: r.tokens, estimated: true } : { tokens: r.tokens, estimated: r.truncated, encoding: method };
}

/**
 * Chat messages as OpenAI counts them for a request (the cookbook's
 * num_tokens_from_messages for current models): 3 tokens per message, the
 * tokens of its role, content and name, 1 more for a name, and 3 for the
 * reply's priming. Content may be a string or a list of parts; text parts
 * (strings, or maps with `text`) are counted, others (images, audio) are not.
 */
export function countChatTokens(messages: readonly unknown[], model?: string, opts: ScanOptions = {}): TokenCount {
  const method = methodFor(model);
  const r = countMessages(messages, method, resolveMaxScanLength(opts));
  return method === 'estimate' ? { tokens: r.tokens, estimated: true } : { tokens: r.tokens, estimated: r.truncated, encoding: method };
}

const PER_MESSAGE = 3;
const PER_NAME = 1;
const REPLY_PRIMING = 3;

function countMessages(messages: readonly unknown[], method: Method, max: number): { tokens: number; truncated: boolean } {
  let n = REPLY_PRIMING;
  let truncated = false;
  const add = (s: string): void => {
    const r = countWith(s, method, max);
    n += r.tokens;
    if (r.truncated) truncated = true;
  };
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (!isCelMap(m)) throw new CelError(`tokens(): message ${i} must be a map with role and content, got ${kindName(m)}`);
    n += PER_MESSAGE;
    const role = mapField(m, 'role');
    if (typeof role === 'string') add(role);
    const name = mapField(m, 'name');
    if (typeof name === 'string') {
      add(name);
      n += PER_NAME;
    }
    const content = mapField(m, 'content');
    if (typeof content === 'string') add(content);
    else if (Array.isArray(content)) {
      for (const part of content) {
        if (typeof part === 'string') add(part);
        else {
          const text = mapField(part, 'text');
          if (typeof text === 'string') add(text);
        }
      }
    } else if (content !== undefined && content !== null) {
      throw new CelError(`tokens(): the content of message ${i} must be a string or a list of parts, got ${kindName(content)}`);
    }
  }
  return { tokens: n, truncated };
}

// ---------------------------------------------------------------------------
// The CEL functions

/** tokens() and tokens_estimated(), memoised per evaluation in Activation.memo. */
export function tokenFunctions(opts: ScanOptions = {}): FunctionDecl[] {
  const max = resolveMaxScanLength(opts);
  const onScan = opts.onScan;
  const prefix = memoPrefix('tokens');
  // One memo table per counting method, under keys built once.
  const keys: Record<Method, string> = { o200k_base: `${prefix}:o200k_base`, cl100k_base: `${prefix}:cl100k_base`, estimate: `${prefix}:estimate` };

  const count = (a: Activation, input: string | readonly unknown[], model: string | undefined): bigint => {
    const method = methodFor(model);
    const table = memoTable<string | readonly unknown[], number>(a, keys[method]);
    let n = table.get(input);
    if (n === undefined) {
      const r = typeof input === 'string' ? countWith(input, method, max) : countMessages(input, method, max);
      onScan?.('tokens', typeof input === 'string' ? Math.min(input.length, max) : input.length);
      n = r.tokens;
      table.set(input, n);
      if (r.truncated) noteInMemo(a, MEMO_KEYS.scanTruncated, 'tokens');
      if (r.truncated || method === 'estimate') noteInMemo(a, MEMO_KEYS.tokensEstimated, model ?? DEFAULT_ENCODING);
    } else if (method === 'estimate') {
      noteInMemo(a, MEMO_KEYS.tokensEstimated, model ?? DEFAULT_ENCODING);
    }
    return BigInt(n);
  };

  const long = (s: unknown): boolean => typeof s === 'string' && s.length > max;
  const estimated = (input: string | readonly unknown[], model: string | undefined): boolean => {
    if (methodFor(model) === 'estimate') return true;
    if (typeof input === 'string') return long(input);
    return input.some((m) => {
      const c = mapField(m, 'content');
      if (Array.isArray(c)) return c.some((p) => long(typeof p === 'string' ? p : mapField(p, 'text')));
      return long(c) || long(mapField(m, 'role')) || long(mapField(m, 'name'));
    });
  };

  const act = { activation: true };
  return [
    {
      name: 'tokens',
      doc: 'Tokens of a text or a list of chat messages: exact for OpenAI models (default o200k_base), an estimate for others. tokens(request.prompt, request.model) > 8000',
      overloads: [
        globalOverload('tokens_string', [T.string], T.int, (a: Activation, s: string) => count(a, s, undefined), act),
        globalOverload('tokens_string_string', [T.string, T.string], T.int, (a: Activation, s: string, m: string) => count(a, s, m), act),
        globalOverload('tokens_list', [T.list(T.dyn)], T.int, (a: Activation, l: unknown[]) => count(a, l, undefined), act),
        globalOverload('tokens_list_string', [T.list(T.dyn), T.string], T.int, (a: Activation, l: unknown[], m: string) => count(a, l, m), act),
      ],
    },
    {
      name: 'tokens_estimated',
      doc: "Whether tokens() with the same arguments is an estimate (a model without a shipped tokenizer, or text beyond the scan cap): tokens_estimated(request.prompt, 'claude-sonnet-4-6')",
      overloads: [
        globalOverload('tokens_estimated_string', [T.string], T.bool, (s: string) => estimated(s, undefined)),
        globalOverload('tokens_estimated_string_string', [T.string, T.string], T.bool, (s: string, m: string) => estimated(s, m)),
        globalOverload('tokens_estimated_list', [T.list(T.dyn)], T.bool, (l: unknown[]) => estimated(l, undefined)),
        globalOverload('tokens_estimated_list_string', [T.list(T.dyn), T.string], T.bool, (l: unknown[], m: string) => estimated(l, m)),
      ],
    },
  ];
}
