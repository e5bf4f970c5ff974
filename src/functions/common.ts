// What the LLM built-ins share: options, the scan cap, per-evaluation
// memoisation in Activation.memo, and reading CEL maps.

import type { Activation } from '../cel/activation.js';
import { CelError } from '../cel/errors.js';
import { CelMap, isPlainObject, kindName, ownValue } from '../cel/values.js';

/** 1 MiB of text: characters (UTF-16 code units) beyond it are not scanned. */
export const DEFAULT_MAX_SCAN_LENGTH = 1024 * 1024;

export type ScanFunction = 'pii' | 'secrets' | 'injection' | 'tokens';

export interface ScanOptions {
  /**
   * How many characters (UTF-16 code units) of a text pii(), secrets(), redact(),
   * injection() and tokens() look at; the rest is not scanned (tokens() estimates it).
   * Default 1 MiB (1,048,576).
   */
  readonly maxScanLength?: number;
  /**
   * Called once per actual scan (not for memoised repeats), with the function and
   * the number of characters scanned: for metrics, and for tests of memoisation.
   */
  readonly onScan?: (fn: ScanFunction, length: number) => void;
}

export function resolveMaxScanLength(opts: ScanOptions): number {
  const n = opts.maxScanLength ?? DEFAULT_MAX_SCAN_LENGTH;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`maxScanLength must be a positive integer, got ${String(n)}`);
  return n;
}

/**
 * Memo entries other components may read after an evaluation (e.g. the
 * engine's trace): set only when something happened, so absence means "no".
 */
export const MEMO_KEYS = {
  /** string[]: the models for which tokens() returned an estimate in this evaluation. */
  tokensEstimated: 'tokens:estimated',
  /** string[]: the functions that scanned only the first maxScanLength characters of a longer text. */
  scanTruncated: 'scan:truncated',
} as const;

/** Functions whose results go into Activation.memo get their own key prefix per declaration set. */
let instanceSerial = 0;
export function memoPrefix(fn: string): string {
  return `fn:${fn}#${++instanceSerial}`;
}

/**
 * The per-evaluation cache `key` of an activation: a Map from argument to result.
 * Strings are keys by value (V8 hashes a string once and keeps the hash in the
 * string, so repeated lookups of the same prompt are cheap); lists by identity.
 */
export function memoTable<K, V>(a: Activation, key: string): Map<K, V> {
  let memo = a.memo;
  if (!memo) {
    memo = new Map();
    a.memo = memo;
  }
  let table = memo.get(key) as Map<K, V> | undefined;
  if (!table) {
    table = new Map();
    memo.set(key, table);
  }
  return table;
}

/** Adds `value` to the string list under a MEMO_KEYS entry (once). */
export function noteInMemo(a: Activation, key: string, value: string): void {
  let memo = a.memo;
  if (!memo) {
    memo = new Map();
    a.memo = memo;
  }
  const list = memo.get(key) as string[] | undefined;
  if (!list) memo.set(key, [value]);
  else if (!list.includes(value)) list.push(value);
}

/** The models tokens() estimated in the evaluation that used `a` (empty when every count was exact). */
export function estimatedModels(a: Activation): readonly string[] {
  return (a.memo?.get(MEMO_KEYS.tokensEstimated) as string[] | undefined) ?? [];
}

/** The functions that scanned only a prefix of a text longer than the scan cap in that evaluation. */
export function truncatedScans(a: Activation): readonly string[] {
  return (a.memo?.get(MEMO_KEYS.scanTruncated) as string[] | undefined) ?? [];
}

/** The first `max` code units of `text`, not splitting a surrogate pair. */
export function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  const c = text.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return text.slice(0, end);
}

/** A field of a CEL map value (plain object or CelMap); undefined when absent. */
export function mapField(m: unknown, key: string): unknown {
  if (m instanceof CelMap) return m.get(key);
  if (isPlainObject(m)) return ownValue(m, key);
  return undefined;
}

export function isCelMap(m: unknown): boolean {
  return m instanceof CelMap || isPlainObject(m);
}

/** A list(string) argument, checked element by element. */
export function stringList(fn: string, v: unknown): string[] {
  if (!Array.isArray(v)) throw new CelError(`${fn}() needs a list of strings, got ${kindName(v)}`);
  const out: string[] = [];
  for (const x of v) {
    if (typeof x !== 'string') throw new CelError(`${fn}() needs a list of strings, got an element of type ${kindName(x)}`);
    out.push(x);
  }
  return out;
}
