// The cel-go "strings" extension: charAt, indexOf, lastIndexOf, lowerAscii,
// upperAscii, replace, split, substring, trim, join, reverse, strings.quote
// and format (the latter in format.ts). Overload ids follow cel-go's
// ext/strings.go.
//
// Indexes count Unicode code points, not UTF-16 units. Strings without
// surrogates (the common case) are indexed directly; others go through
// unitOffset.

import { CelError } from '../errors.js';
import { codePointLength, hasAstral } from '../runtime/strings.js';
import { T } from '../types.js';
import { intOf, kindName } from '../values.js';
import { formatString } from './format.js';
import { type FunctionDecl, memberOverload as m, globalOverload as g } from './overload.js';

const outOfRange = (i: bigint | number): CelError => new CelError(`index out of range: ${i}`);

/** The UTF-16 offset of code point `cp` in s (cp ≤ the code-point length). */
function unitOffset(s: string, cp: number): number {
  if (!hasAstral(s)) return cp;
  let u = 0;
  for (let n = 0; n < cp && u < s.length; n++) u += isPairAt(s, u) ? 2 : 1;
  return u;
}

function isPairAt(s: string, u: number): boolean {
  const c = s.charCodeAt(u);
  if (c < 0xd800 || c > 0xdbff) return false;
  const d = s.charCodeAt(u + 1);
  return d >= 0xdc00 && d <= 0xdfff;
}

/** Whether UTF-16 offset u falls between the two halves of a surrogate pair. */
function splitsPair(s: string, u: number): boolean {
  return u > 0 && isPairAt(s, u - 1);
}

/** The code-point index of UTF-16 offset u. */
function cpIndex(s: string, u: number): number {
  return hasAstral(s) ? codePointLength(s.slice(0, u)) : u;
}

/** A bigint index as a number; values beyond ±2^53 are out of any string's range anyway. */
function small(i: bigint): number {
  return i > 2n ** 53n ? 2 ** 53 : i < -(2n ** 53n) ? -(2 ** 53) : Number(i);
}

function charAt(s: string, i: bigint): string {
  const len = codePointLength(s);
  if (i < 0n || i > BigInt(len)) throw outOfRange(i);
  if (i === BigInt(len)) return '';
  const u = unitOffset(s, Number(i));
  return s.slice(u, u + (isPairAt(s, u) ? 2 : 1));
}

/** First match at a code-point index ≥ from; -1 when absent. */
function search(s: string, sub: string, from: number): bigint {
  let u = s.indexOf(sub, unitOffset(s, from));
  // A needle starting with a lone low surrogate must not match inside a pair.
  while (u >= 0 && splitsPair(s, u)) u = s.indexOf(sub, u + 1);
  return u < 0 ? -1n : intOf(cpIndex(s, u));
}

/** Last match at a code-point index ≤ from; -1 when absent. */
function searchBack(s: string, sub: string, from: number): bigint {
  const last = codePointLength(s) - codePointLength(sub);
  if (last < 0) return -1n;
  let u = s.lastIndexOf(sub, unitOffset(s, Math.min(from, last)));
  while (u >= 0 && splitsPair(s, u)) u = u === 0 ? -1 : s.lastIndexOf(sub, u - 1);
  return u < 0 ? -1n : intOf(cpIndex(s, u));
}

/**
 * The offset of indexOf/lastIndexOf must lie inside the string, as in cel-go.
 * An empty needle is found at the offset itself, which may then also be the
 * end of the string. (cel-go returns any offset for an empty needle without a
 * check, so 'abc'.indexOf('', 9) == 9; we report the bad offset instead.)
 */
function checkOffset(s: string, sub: string, off: bigint): number {
  const len = BigInt(codePointLength(s));
  if (off < 0n || off > len || (off === len && sub !== '')) throw outOfRange(off);
  return Number(off);
}

function indexOfFrom(s: string, sub: string, off: bigint): bigint {
  const from = checkOffset(s, sub, off);
  return sub === '' ? off : search(s, sub, from);
}

function lastIndexOfFrom(s: string, sub: string, off: bigint): bigint {
  const from = checkOffset(s, sub, off);
  return sub === '' ? off : searchBack(s, sub, from);
}

function substring(s: string, start: bigint, end?: bigint): string {
  const len = BigInt(codePointLength(s));
  if (end === undefined) {
    if (start < 0n || start > len) throw outOfRange(start);
    return s.slice(unitOffset(s, Number(start)));
  }
  if (start > end) throw new CelError(`invalid substring range. start: ${start}, end: ${end}`);
  if (start < 0n || start > len) throw outOfRange(start);
  if (end < 0n || end > len) throw outOfRange(end);
  return s.slice(unitOffset(s, Number(start)), unitOffset(s, Number(end)));
}

/** Go's strings.Replace: at most n replacements (all when n < 0); an empty `old` matches before each code point and at the end. */
function replace(s: string, old: string, rep: string, n: number): string {
  if (n === 0 || old === rep) return s;
  let out = '';
  if (old === '') {
    const cps = Array.from(s);
    let i = 0;
    for (; i < cps.length && (n < 0 || i < n); i++) out += rep + cps[i];
    if (i === cps.length && (n < 0 || i < n)) out += rep;
    return out + cps.slice(i).join('');
  }
  let start = 0;
  for (let done = 0; n < 0 || done < n; done++) {
    const j = s.indexOf(old, start);
    if (j < 0) break;
    out += s.slice(start, j) + rep;
    start = j + old.length;
  }
  return out + s.slice(start);
}

/** Go's strings.SplitN: n == 0 gives [], n < 0 no limit, otherwise at most n pieces with the rest in the last. */
function split(s: string, sep: string, n: number): string[] {
  if (n === 0) return [];
  if (sep === '') {
    // One piece per code point ('' has none).
    const cps = Array.from(s);
    if (n < 0 || n >= cps.length) return cps;
    return [...cps.slice(0, n - 1), cps.slice(n - 1).join('')];
  }
  const out: string[] = [];
  let start = 0;
  while (n < 0 || out.length < n - 1) {
    const j = s.indexOf(sep, start);
    if (j < 0) break;
    out.push(s.slice(start, j));
    start = j + sep.length;
  }
  out.push(s.slice(start));
  return out;
}

// Go's unicode.IsSpace: ASCII/Latin-1 spaces plus the Unicode White_Space
// property. Unlike JS's trim(), U+FEFF is not space and U+0085 is.
const SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const TRIM = new RegExp(`^[${SPACE}]+|[${SPACE}]+$`, 'g');

function join(list: unknown[], sep: string): string {
  for (const e of list) if (typeof e !== 'string') throw new CelError(`join: list element is ${kindName(e)}, not string`);
  return list.join(sep);
}

const QUOTE_ESCAPES: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '\\': '\\\\',
  '"': '\\"',
};

/** A double-quoted CEL literal of s; unpaired surrogates (JS's invalid UTF-8) become U+FFFD. */
function quote(s: string): string {
  const escaped = s.replace(/[\x07\b\f\n\r\t\v\\"]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, (c) => QUOTE_ESCAPES[c] ?? '\ufffd');
  return `"${escaped}"`;
}

export function stringsLibrary(): FunctionDecl[] {
  const S = T.string;
  const I = T.int;
  return [
    { name: 'charAt', overloads: [m('string_char_at_int', [S, I], S, charAt)] },
    {
      name: 'indexOf',
      overloads: [
        m('string_index_of_string', [S, S], I, (s: string, sub: string) => (sub === '' ? 0n : search(s, sub, 0))),
        m('string_index_of_string_int', [S, S, I], I, indexOfFrom),
      ],
    },
    {
      name: 'lastIndexOf',
      overloads: [
        // Without an offset nothing can be out of range: ''.lastIndexOf('x') is -1.
        m('string_last_index_of_string', [S, S], I, (s: string, sub: string) =>
          sub === '' ? intOf(codePointLength(s)) : searchBack(s, sub, codePointLength(s)),
        ),
        m('string_last_index_of_string_int', [S, S, I], I, lastIndexOfFrom),
      ],
    },
    { name: 'lowerAscii', overloads: [m('string_lower_ascii', [S], S, (s: string) => s.replace(/[A-Z]+/g, (x) => x.toLowerCase()))] },
    { name: 'upperAscii', overloads: [m('string_upper_ascii', [S], S, (s: string) => s.replace(/[a-z]+/g, (x) => x.toUpperCase()))] },
    {
      name: 'replace',
      overloads: [
        m('string_replace_string_string', [S, S, S], S, (s: string, o: string, r: string) => replace(s, o, r, -1)),
        m('string_replace_string_string_int', [S, S, S, I], S, (s: string, o: string, r: string, n: bigint) => replace(s, o, r, small(n))),
      ],
    },
    {
      name: 'split',
      overloads: [
        m('string_split_string', [S, S], T.list(S), (s: string, sep: string) => split(s, sep, -1)),
        m('string_split_string_int', [S, S, I], T.list(S), (s: string, sep: string, n: bigint) => split(s, sep, small(n))),
      ],
    },
    {
      name: 'substring',
      overloads: [
        m('string_substring_int', [S, I], S, (s: string, a: bigint) => substring(s, a)),
        m('string_substring_int_int', [S, I, I], S, substring),
      ],
    },
    { name: 'trim', overloads: [m('string_trim', [S], S, (s: string) => s.replace(TRIM, ''))] },
    { name: 'reverse', overloads: [m('reverse', [S], S, (s: string) => (hasAstral(s) ? Array.from(s).reverse().join('') : s.split('').reverse().join('')))] },
    {
      name: 'join',
      overloads: [
        m('list_join', [T.list(S)], S, (l: unknown[]) => join(l, '')),
        m('list_join_string', [T.list(S), S], S, (l: unknown[], sep: string) => join(l, sep)),
      ],
    },
    { name: 'strings.quote', overloads: [g('strings_quote', [S], S, quote)] },
    { name: 'format', overloads: [m('string_format', [S, T.list(T.dyn)], S, formatString)] },
  ];
}
