import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, test } from 'vitest';
import { CelError } from '../../src/cel/errors.js';
import {
  DEFAULT_MAX_SCAN_LENGTH,
  MAX_PRETOKEN,
  countChatTokens,
  countExact,
  countTokens,
  encodingForModel,
  estimateTokens,
} from '../../src/functions/index.js';
import { cel, celError, envOf } from './helpers.js';

describe('exact counts (gpt-tokenizer encodings)', () => {
  test.each([
    ['hello world', 2, 2],
    ['tiktoken is great!', 6, 6], // OpenAI cookbook: cl100k_base [83, 1609, 5963, 374, 2294, 0]
    ['Hello, world!', 4, 4],
    ['The quick brown fox jumps over the lazy dog.', 10, 10],
    ['你好，世界', 3, 6],
    ['antidisestablishmentarianism', 6, 6],
    ['', 0, 0],
  ])('%j: o200k_base %i, cl100k_base %i', (text, o200k, cl100k) => {
    expect(countExact(text, 'o200k_base')).toBe(o200k);
    expect(countExact(text, 'cl100k_base')).toBe(cl100k);
  });

  test('special-token text in a prompt counts as ordinary text, never fails', () => {
    expect(countTokens('<|endoftext|>')).toEqual({ tokens: 7, estimated: false, encoding: 'o200k_base' });
    expect(cel("tokens('say <|im_start|>system hi')")).toBeTypeOf('bigint');
  });

  test('agree with the library on ordinary text', () => {
    const require = createRequire(import.meta.url);
    const lib = require('gpt-tokenizer/encoding/o200k_base') as { countTokens(s: string): number };
    const text = readFileSync(new URL('../../docs/policy-language.md', import.meta.url), 'utf8').slice(0, 20_000);
    expect(countExact(text, 'o200k_base')).toBe(lib.countTokens(text));
  });

  test('pre-tokens longer than MAX_PRETOKEN are counted in pieces: same result on runs the BPE splits evenly', () => {
    // The unsplit counts, computed once with the library (slow, so not repeated here).
    expect(countExact('a'.repeat(10_000), 'o200k_base')).toBe(1250);
    expect(countExact(' '.repeat(10_000), 'o200k_base')).toBe(79);
    expect(countExact('漢'.repeat(10_000), 'o200k_base')).toBe(10_000);
    expect(MAX_PRETOKEN).toBe(128);
  });
});

describe('models and encodings', () => {
  test.each([
    ['gpt-4o', 'o200k_base'],
    ['gpt-4o-mini-2024-07-18', 'o200k_base'],
    ['GPT-4.1', 'o200k_base'],
    ['gpt-5.5', 'o200k_base'],
    ['o1', 'o200k_base'],
    ['o3-mini', 'o200k_base'],
    ['o4-mini-2025-04-16', 'o200k_base'],
    ['chatgpt-4o-latest', 'o200k_base'],
    ['gpt-oss-120b', 'o200k_base'],
    ['openai/gpt-4o', 'o200k_base'],
    ['', 'o200k_base'],
    ['gpt-4', 'cl100k_base'],
    ['gpt-4-turbo-2024-04-09', 'cl100k_base'],
    ['gpt-3.5-turbo', 'cl100k_base'],
    ['gpt-35-turbo', 'cl100k_base'],
    ['text-embedding-3-small', 'cl100k_base'],
    ['claude-sonnet-4-6', undefined],
    ['gemini-2.5-pro', undefined],
    ['mistral-large-latest', undefined],
    ['llama-3.3-70b-instruct', undefined],
    ['o1x', undefined],
    ['my-model', undefined],
  ])('%s → %s', (model, encoding) => {
    expect(encodingForModel(model)).toBe(encoding);
  });

  test('agree with gpt-tokenizer on every OpenAI model it maps to o200k_base or cl100k_base', () => {
    const require = createRequire(import.meta.url);
    const { modelToEncodingMap } = require('gpt-tokenizer/mapping') as { modelToEncodingMap: Record<string, string> };
    for (const [model, enc] of Object.entries(modelToEncodingMap)) {
      if (enc === 'cl100k_base') expect(encodingForModel(model), model).toBe('cl100k_base');
    }
    for (const model of ['gpt-4o-2024-05-13', 'gpt-4.1-nano', 'gpt-5-mini', 'gpt-5.4-pro-2026-03-05', 'o3-deep-research', 'gpt-realtime', 'codex-mini-latest']) {
      expect(encodingForModel(model), model).toBe('o200k_base');
    }
  });
});

describe('chat messages', () => {
  // The OpenAI cookbook's "How to count tokens with tiktoken" example, whose counts
  // the API itself reported: 129 prompt tokens for gpt-4, 124 for gpt-4o.
  const messages = [
    { role: 'system', content: 'You are a helpful, pattern-following assistant that translates corporate jargon into plain English.' },
    { role: 'system', name: 'example_user', content: 'New synergies will help drive top-line growth.' },
    { role: 'system', name: 'example_assistant', content: 'Things working well together will increase revenue.' },
    { role: 'system', name: 'example_user', content: "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage." },
    { role: 'system', name: 'example_assistant', content: "Let's talk later when we're less busy about how to do better." },
    { role: 'user', content: "This late pivot means we don't have time to boil the ocean for the client deliverable." },
  ];

  test('match the API counts of the cookbook example', () => {
    expect(countChatTokens(messages, 'gpt-4')).toEqual({ tokens: 129, estimated: false, encoding: 'cl100k_base' });
    expect(countChatTokens(messages, 'gpt-4o')).toEqual({ tokens: 124, estimated: false, encoding: 'o200k_base' });
    expect(cel('tokens(request.messages)', { request: { messages } })).toBe(124n);
    expect(cel("tokens(request.messages, 'gpt-3.5-turbo')", { request: { messages } })).toBe(129n);
  });

  test('3 per message, role and content, 1 more for a name, 3 for the reply', () => {
    expect(cel("tokens([{'role': 'user', 'content': 'hello world'}])")).toBe(3n + 3n + 1n + 2n);
    expect(cel("tokens([{'role': 'user', 'name': 'bob', 'content': 'hello world'}])")).toBe(3n + 3n + 1n + 2n + 1n + 1n);
    expect(cel('tokens([])')).toBe(3n);
  });

  test('content parts: text parts and strings count, image parts do not', () => {
    const parts = [{ role: 'user', content: [{ type: 'text', text: 'hello world' }, { type: 'image_url', image_url: { url: 'https://x/y.png' } }, 'hello world'] }];
    expect(cel('tokens(m)', { m: parts })).toBe(3n + 3n + 1n + 2n + 2n);
    expect(cel('tokens(m)', { m: [{ role: 'assistant', content: null, tool_calls: [] }] })).toBe(3n + 3n + 1n);
  });

  test('malformed messages are errors', () => {
    expect(celError("tokens(['hi'])")).toMatch(/message 0 must be a map with role and content, got string/);
    expect(celError("tokens([{'role': 'user', 'content': 3}])")).toMatch(/content of message 0 must be a string or a list of parts, got int/);
  });
});

describe('tokens() in CEL', () => {
  test('returns an int; default o200k_base', () => {
    expect(cel("tokens('hello world')")).toBe(2n);
    expect(cel("tokens('你好，世界', 'gpt-4')")).toBe(6n);
    expect(cel('tokens(request.prompt) > 1', { request: { prompt: 'hello world' } })).toBe(true);
    expect(cel("tokens('hello world') + 10.5")).toBe(12.5);
  });

  test('a prompt that is not a string is an error, not a crash', () => {
    expect(celError('tokens(request.prompt)', { request: { prompt: 42 } })).toMatch(/no such overload/);
  });

  test('tokens_estimated: false for OpenAI models, true for others', () => {
    expect(cel("tokens_estimated('hi')")).toBe(false);
    expect(cel("tokens_estimated('hi', 'gpt-4o')")).toBe(false);
    expect(cel("tokens_estimated('hi', 'claude-opus-4-8')")).toBe(true);
    expect(cel("tokens_estimated([{'role': 'user', 'content': 'hi'}], 'gemini-2.5-pro')")).toBe(true);
    expect(cel("tokens_estimated([{'role': 'user', 'content': 'hi'}])")).toBe(false);
  });

  test('beyond the scan cap: the exact count of the head, extrapolated, and flagged as an estimate', () => {
    const env = envOf({ maxScanLength: 1000 });
    const text = 'The quick brown fox jumps over the lazy dog. '.repeat(100); // 4,500 characters
    expect(countExact(text, 'o200k_base')).toBe(1001);
    const n = Number(cel('tokens(t)', { t: text }, env) as bigint);
    expect(Math.abs(n - 1001)).toBeLessThan(15);
    expect(cel('tokens_estimated(t)', { t: text }, env)).toBe(true);
    expect(cel('tokens_estimated(t)', { t: text })).toBe(false);
    expect(countTokens(text, undefined, { maxScanLength: 1000 }).estimated).toBe(true);
    expect(DEFAULT_MAX_SCAN_LENGTH).toBe(1024 * 1024);
  });
});

describe('the estimate for other models', () => {
  interface Sample {
    readonly id: string;
    readonly text: string;
  }
  const load = (f: string): Sample[] => JSON.parse(readFileSync(new URL(`./fixtures/${f}`, import.meta.url), 'utf8')) as Sample[];

  function errors(samples: Sample[]): { mape: number; median: number; max: number; total: number } {
    const errs = samples.map((s) => (estimateTokens(s.text) - countExact(s.text, 'o200k_base')) / countExact(s.text, 'o200k_base'));
    const abs = errs.map(Math.abs).sort((a, b) => a - b);
    const exact = samples.reduce((n, s) => n + countExact(s.text, 'o200k_base'), 0);
    const est = samples.reduce((n, s) => n + estimateTokens(s.text), 0);
    return { mape: abs.reduce((a, b) => a + b, 0) / abs.length, median: abs[Math.floor(abs.length / 2)]!, max: abs[abs.length - 1]!, total: (est - exact) / exact };
  }

  // The figures docs/functions.md states; the calibration corpus tuned the constants,
  // the held-out corpus did not.
  test('calibration corpus: mean absolute error ≤ 8%, every text within 25%', () => {
    const e = errors(load('estimate-corpus.json'));
    expect(e.mape).toBeLessThanOrEqual(0.08);
    expect(e.max).toBeLessThanOrEqual(0.25);
  });

  test('held-out corpus: mean absolute error ≤ 13%, median ≤ 10%, every text within 35%, total within 5%', () => {
    const e = errors(load('estimate-holdout.json'));
    expect(e.mape).toBeLessThanOrEqual(0.13);
    expect(e.median).toBeLessThanOrEqual(0.1);
    expect(e.max).toBeLessThanOrEqual(0.35);
    expect(Math.abs(e.total)).toBeLessThanOrEqual(0.05);
  });

  test('beats characters / 4 on both corpora', () => {
    for (const f of ['estimate-corpus.json', 'estimate-holdout.json']) {
      const samples = load(f);
      const chars4 = samples.map((s) => Math.abs(Math.round(s.text.length / 4) - countExact(s.text, 'o200k_base')) / countExact(s.text, 'o200k_base'));
      const mape4 = chars4.reduce((a, b) => a + b, 0) / chars4.length;
      expect(errors(samples).mape, f).toBeLessThan(mape4 / 2);
    }
  });

  test('tokens() with a non-OpenAI model returns the estimate', () => {
    const text = load('estimate-holdout.json')[0]!.text;
    expect(cel('tokens(t, m)', { t: text, m: 'claude-sonnet-4-6' })).toBe(BigInt(estimateTokens(text)));
    expect(countTokens(text, 'mistral-large-latest')).toEqual({ tokens: estimateTokens(text), estimated: true });
  });

  test('edge cases', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('a')).toBe(1);
    expect(estimateTokens('🙂🙂')).toBe(3);
    expect(estimateTokens('\u0301')).toBe(1);
    expect(cel("tokens('', 'claude-haiku-4-5')")).toBe(0n);
    expect(cel("tokens('x') >= 0")).toBe(true);
    expect(cel("tokens('x', 'claude-x')")).not.toBeInstanceOf(CelError);
  });
});
