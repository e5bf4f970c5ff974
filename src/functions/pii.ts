// pii(): kinds of personal data found in a text; redact(): the text with them
// replaced. Hand-written recognisers, each reading a bounded stretch of text
// from a position where its kind can start, so a scan is linear in the text.

import { at, endsWord, type Finding, isAlnum, isAlpha, isDigit, isHex, isUpper, isWord, resolveOverlaps, startsWord, wordBefore } from './text-scan.js';

export const PII_KINDS = ['email', 'phone', 'credit_card', 'us_ssn', 'iban', 'ipv4', 'ipv6', 'mac_address'] as const;
export type PiiKind = (typeof PII_KINDS)[number];

/**
 * What an ASCII character can do for the main loop of findPii (characters from
 * U+0080 up do nothing: no finding starts at them and they are not part of a
 * word). Looked up once per character, so that the loop spends a table read,
 * not a chain of range checks, on the spaces, punctuation and ordinary words
 * that make up most of a prompt.
 */
const WORD = 1; // [A-Za-z0-9_]: a finding never starts inside a run of these
const START = 2; // may start a finding at a word start: digits, letters A-F a-f and A-Z (IBAN), '+', '(', ':'
const CHAR_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if (isWord(c)) CHAR_CLASS[c] |= WORD;
  // g-z and '_' start nothing: numbers start with a digit, '+' or '('; IBANs with A-Z;
  // MAC and IPv6 addresses with a hex digit or ':'.
  if (isDigit(c) || isUpper(c) || isHex(c) || c === 0x2b || c === 0x28 || c === 0x3a) CHAR_CLASS[c] |= START;
}
CHAR_CLASS[0x40] = START; // '@': e-mail, wherever it is

/** Every PII finding in `text`, in text order, without overlaps. */
export function findPii(text: string): Finding[] {
  let found: Finding[] = [];
  const n = text.length;
  let lastEnd = -1;
  // The first ':' at or after i (-1: none). An IPv6 address has one within IPV6_MAX characters
  // of its start; without it, words starting with a-f need not be read as addresses.
  let colon = text.indexOf(':');
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) {
      // Non-ASCII: nothing starts here. Full-width forms of ASCII characters
      // (Ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ) and the ideographic space are read as ASCII: at the first one, the text is
      // folded (which changes no offset) and scanned again from the last place before it
      // that no finding crosses. What was found before that place stands.
      if ((c >= 0xff01 && c <= 0xff5e) || c === 0x3000) {
        const r = resumeFrom(text, i);
        text = foldFullWidth(text);
        found = found.filter((f) => f.start < r);
        lastEnd = -1;
        colon = text.indexOf(':', r);
        i = r;
        continue;
      }
      i++;
      continue;
    }
    const cls = CHAR_CLASS[c]!;
    if (cls === 0) {
      // Space, punctuation: nothing starts here.
      i++;
      continue;
    }
    let next = i + 1;
    if (c === 0x40 /* @ */) {
      const f = email(text, i);
      if (f) found.push(f);
    } else if ((cls & START) !== 0 && startsWord(text, i)) {
      const f = isDigit(c) || c === 0x2b || c === 0x28 ? numeric(text, i, lastEnd) : undefined;
      const ib = f || !isUpper(c) ? undefined : iban(text, i);
      let g = f;
      if (!g && (isHex(c) || c === 0x3a)) {
        g = macAddress(text, i);
        if (!g) {
          if (colon >= 0 && colon < i) colon = text.indexOf(':', i);
          if (colon >= 0 && colon - i <= IPV6_MAX) g = ipv6(text, i);
        }
      }
      if (!g && typeof ib === 'object') g = ib;
      if (typeof ib === 'number') {
        // Shaped like an IBAN but not a valid one: nothing inside it is a phone or a card either.
        next = ib;
      } else if (g) {
        found.push(g);
        lastEnd = g.end;
        // Nothing else starts inside a finding, except an e-mail's '@' (handled at that '@').
        next = g.end;
        for (let k = i; k < g.end; k++) {
          if (text.charCodeAt(k) === 0x40) {
            next = k;
            break;
          }
        }
      } else if ((cls & WORD) !== 0) {
        next = wordEnd(text, next);
      }
    } else if ((cls & WORD) !== 0) {
      // No finding starts inside a word (nor at a word that does not start one, nor at
      // a letter after '-', '.' or '/' that joins it to a word): skip to its end.
      next = wordEnd(text, next);
    }
    i = Math.max(next, i + 1);
  }
  return resolveOverlaps(found);
}

/**
 * Where the scan of a text goes on once its first full-width character, at i, is folded: after
 * the last character before i that is part of no finding and ends every recogniser's reading
 * (a line break, a tab, , ; " < > [ ] \\), or at 0. Findings before that character neither
 * reach it nor look past it, and the text before i is the same folded or not, so they stand;
 * the scan from there sees the folded text as a scan from the start would.
 */
function resumeFrom(text: string, i: number): number {
  let r = i;
  while (r > 0 && !isBarrier(text.charCodeAt(r - 1))) r--;
  return r;
}
const isBarrier = (c: number): boolean =>
  c === 0x0a || c === 0x0d || c === 0x09 || c === 0x2c || c === 0x3b || c === 0x22 || c === 0x3c || c === 0x3e || c === 0x5b || c === 0x5d || c === 0x5c;

/**
 * `text` with the full-width forms of ASCII characters (U+FF01–U+FF5E) and the ideographic
 * space (U+3000) replaced by the ASCII characters they stand for — what NFKC makes of them —
 * and nothing else changed. Each is one UTF-16 code unit, like its replacement, so every
 * offset into the result is the same offset into `text` (redact() replaces the full-width text).
 */
export function foldFullWidth(text: string): string {
  return text.replace(FULL_WIDTH, (c) => (c === '\u3000' ? ' ' : String.fromCharCode(c.charCodeAt(0) - 0xfee0)));
}
const FULL_WIDTH = /[\uff01-\uff5e\u3000]/g;

/** The end of the run of [A-Za-z0-9_] from i. */
function wordEnd(text: string, i: number): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c >= 0x80 || (CHAR_CLASS[c]! & WORD) === 0) break;
    i++;
  }
  return i;
}

/** The PII kinds present, in the order of PII_KINDS. */
export function piiKinds(findings: readonly Finding[]): PiiKind[] {
  const seen = new Set(findings.map((f) => f.kind));
  return PII_KINDS.filter((k) => seen.has(k));
}

// ---------------------------------------------------------------------------
// e-mail: find '@', then expand

const LOCAL_MAX = 64;
const DOMAIN_MAX = 253;

function isLocalChar(c: number): boolean {
  // RFC 5322 atext plus '.': A-Z a-z 0-9 ! # $ % & ' * + - / = ? ^ _ ` { | } ~ .
  return isAlnum(c) || (c >= 0x23 && c <= 0x27) || c === 0x21 || c === 0x2a || c === 0x2b || c === 0x2d || c === 0x2e || c === 0x2f || c === 0x3d || c === 0x3f || (c >= 0x5e && c <= 0x60) || (c >= 0x7b && c <= 0x7e);
}

/**
 * Letters, marks and digits of any script but those written without spaces between words
 * (Chinese, Japanese, Thai, Lao, Khmer, Burmese), whose text runs straight into an address:
 * メールはjohn@example.com is john's address, not メールはjohn's.
 */
const UNICODE_LOCAL_CHAR = /^(?![\p{scx=Han}\p{scx=Hira}\p{scx=Kana}\p{scx=Thai}\p{scx=Laoo}\p{scx=Khmr}\p{scx=Mymr}])[\p{L}\p{M}\p{Nd}]$/u;

/** The length (1 or 2 code units, 0 for none) of the local-part character that ends before s. */
function unicodeLocalCharBefore(text: string, s: number): number {
  const c = text.charCodeAt(s - 1);
  const w = c >= 0xdc00 && c <= 0xdfff && s >= 2 && text.charCodeAt(s - 2) >= 0xd800 && text.charCodeAt(s - 2) <= 0xdbff ? 2 : 1;
  return UNICODE_LOCAL_CHAR.test(text.slice(s - w, s)) ? w : 0;
}

function email(text: string, k: number): Finding | undefined {
  let s = k;
  while (s > 0 && k - s < LOCAL_MAX) {
    const c = text.charCodeAt(s - 1);
    if (isLocalChar(c)) s--;
    else if (c < 0x80) break;
    else {
      // Internationalised local parts (josé@, иван@): letters of scripts written with spaces.
      const w = unicodeLocalCharBefore(text, s);
      if (w === 0 || k - s + w > LOCAL_MAX) break;
      s -= w;
    }
  }
  while (s < k && text.charCodeAt(s) === 0x2e) s++;
  if (s === k || text.charCodeAt(k - 1) === 0x2e) return undefined;
  // Domain: labels of letters, digits and '-', separated by single dots.
  let e = k + 1;
  const n = text.length;
  while (e < n && e - k - 1 < DOMAIN_MAX) {
    const c = text.charCodeAt(e);
    if (isAlnum(c) || c === 0x2d || (c === 0x2e && isAlnum(at(text, e + 1)))) e++;
    else break;
  }
  // A non-ASCII letter where the ASCII domain stops: an internationalised domain (société.fr),
  // read again with Unicode letters. When that reading is no domain (a Korean particle glued
  // to the address: a@b.com으로), the ASCII one still counts.
  if (e < n && e - k - 1 < DOMAIN_MAX && (text.charCodeAt(e) >= 0x80 || (text.charCodeAt(e) === 0x2e && at(text, e + 1) >= 0x80))) {
    const u = idnDomainEnd(text, k + 1);
    if (u > e && validDomain(text, k + 1, u, true)) return { kind: 'email', start: s, end: u };
  }
  if (!validDomain(text, k + 1, e, false) || isWord(at(text, e))) return undefined;
  return { kind: 'email', start: s, end: e };
}

/**
 * Whether [from, e) is a domain: two labels or more, none empty, longer than 63 or starting or
 * ending with '-' (checked in place: the domain is not copied and split); a top-level domain of
 * 2–24 letters, or xn-- and 2–59 more characters. `unicode`: labels may hold non-ASCII letters,
 * and the top-level domain may be 2–24 of them (рф, 中国) — ASCII letters or non-ASCII ones, not both.
 */
function validDomain(text: string, from: number, e: number, unicode: boolean): boolean {
  let labels = 0;
  let start = from;
  for (let p = from; p <= e; p++) {
    if (p < e && text.charCodeAt(p) !== 0x2e) continue;
    const len = p - start;
    if (len === 0 || len > 63 || text.charCodeAt(start) === 0x2d || text.charCodeAt(p - 1) === 0x2d) return false;
    labels++;
    if (p < e) start = p + 1;
  }
  if (labels < 2) return false;
  // The top-level domain, [start, e).
  const tld = e - start;
  if (text.startsWith('xn--', start)) return tld - 4 >= 2 && tld - 4 <= 59 && !(unicode && unicodeIn(text, start, e));
  let ascii = false;
  let other = false;
  for (let p = start; p < e; p++) {
    const c = text.charCodeAt(p);
    if (isAlpha(c)) ascii = true;
    else if (!unicode || c < 0x80) return false;
    else if (c >= 0xdc00 && c <= 0xdfff) continue; // the second half of a letter beyond U+FFFF
    else if (isUnicodeLetter(text, p)) other = true;
    else return false;
  }
  return !(ascii && other) && tld >= 2 && tld <= 24;
}

/** Whether [from, e) holds a non-ASCII character. */
function unicodeIn(text: string, from: number, e: number): boolean {
  for (let p = from; p < e; p++) if (text.charCodeAt(p) >= 0x80) return true;
  return false;
}

const UNICODE_LABEL_CHAR = /^[\p{L}\p{M}\p{Nd}]$/u;
const UNICODE_LETTER = /^\p{L}$/u;

/** The code point at p (one or two code units). */
function codePointString(text: string, p: number): string {
  const c = text.charCodeAt(p);
  return c >= 0xd800 && c <= 0xdbff && p + 1 < text.length ? text.slice(p, p + 2) : text[p]!;
}

/** The character at p, or the surrogate pair starting there, is a letter (any script). */
function isUnicodeLetter(text: string, p: number): boolean {
  return UNICODE_LETTER.test(codePointString(text, p));
}

/**
 * Where a domain starting at `from` ends when labels may hold Unicode letters, marks and digits
 * (IDN) as well as ASCII letters, digits and '-'. Reads at most DOMAIN_MAX code units.
 */
function idnDomainEnd(text: string, from: number): number {
  const limit = Math.min(text.length, from + DOMAIN_MAX);
  const labelChar = (p: number): number => {
    if (p >= limit) return 0;
    const c = text.charCodeAt(p);
    if (c < 0x80) return isAlnum(c) || c === 0x2d ? 1 : 0;
    const cp = codePointString(text, p);
    return p + cp.length <= limit && UNICODE_LABEL_CHAR.test(cp) ? cp.length : 0;
  };
  let e = from;
  while (e < limit) {
    const w = labelChar(e);
    if (w > 0) e += w;
    else if (text.charCodeAt(e) === 0x2e && labelChar(e + 1) > 0) e++;
    else break;
  }
  return e;
}

// ---------------------------------------------------------------------------
// Numbers: phone, credit card, SSN, IPv4

interface Groups {
  /** Digit groups in order. */
  readonly groups: string[];
  /** separators[i] is what stood between groups[i] and groups[i+1] ('' when adjacent through parentheses only). */
  readonly seps: string[];
  /** Where each group ends (after its closing parenthesis). */
  readonly ends: number[];
  readonly plus: boolean;
  /** One group was written in parentheses: (415) 555-2671, +49 (0)30 1234567. */
  readonly parens: boolean;
  readonly end: number;
  /** Digits (or a separator and digits) continue after `end`: part of a longer number. */
  readonly continues: boolean;
}

const MAX_NUMBER_CHARS = 32;

/**
 * Reads digit groups from i: digits, separated by one of ' ', '-', '.', or
 * parentheses around a group. Bounded to MAX_NUMBER_CHARS characters.
 */
function readGroups(text: string, i: number): Groups | undefined {
  const n = text.length;
  const limit = Math.min(n, i + MAX_NUMBER_CHARS);
  let p = i;
  let plus = false;
  if (at(text, p) === 0x2b) {
    plus = true;
    p++;
  }
  const groups: string[] = [];
  const seps: string[] = [];
  const ends: number[] = [];
  let parens = false;
  let sep = '';
  while (p < limit) {
    let open = false;
    if (at(text, p) === 0x28) {
      if (parens || !isDigit(at(text, p + 1))) break;
      open = true;
      p++;
    }
    const g = p;
    while (p < limit && isDigit(text.charCodeAt(p))) p++;
    if (p === g) return undefined;
    if (open) {
      if (at(text, p) !== 0x29) return undefined;
      parens = true;
    }
    if (groups.length) seps.push(sep);
    groups.push(text.slice(g, p));
    if (open) p++;
    ends.push(p);
    // A separator continues the number only when digits (or '(' digits) follow.
    const c = at(text, p);
    let q = p;
    if (c === 0x20 || c === 0x2d || c === 0x2e) {
      q++;
      // ' - ' as one separator
      if (c === 0x20 && at(text, q) === 0x2d && at(text, q + 1) === 0x20) q += 2;
    }
    const d = at(text, q);
    if (q < limit && (isDigit(d) || (d === 0x28 && !parens))) {
      sep = text.slice(p, q);
      p = q;
      continue;
    }
    break;
  }
  if (groups.length === 0) return undefined;
  // Longer than we read, or joined to more digits: not one of ours.
  const c = at(text, p);
  const continues = isDigit(c) || ((c === 0x20 || c === 0x2d || c === 0x2e) && isDigit(at(text, p + 1)));
  return { groups, seps, ends, plus, parens, end: p, continues };
}

function numeric(text: string, i: number, lastEnd: number): Finding | undefined {
  const ip = ipv4(text, i);
  if (ip) return ip;
  // The next group of space-separated digits ("4111 1111 …", "3704 0044 …") is part of the
  // number before it, unless that number was a finding of its own.
  if (at(text, i - 1) === 0x20 && isDigit(at(text, i - 2)) && lastEnd !== i - 1) return undefined;
  // Most numbers in prose are one group of digits ("order 100234", "since 2019", "10%"). One
  // group without '+' or parentheses can only be an SSN (9 digits, after "SSN") or a card
  // (13–19 digits), so for other lengths the groups need not be read. (A run longer than
  // MAX_NUMBER_CHARS is cut at it here as in readGroups, and is nothing there either.)
  const limit = Math.min(text.length, i + MAX_NUMBER_CHARS);
  if (isDigit(text.charCodeAt(i))) {
    let p = i + 1;
    while (p < limit && isDigit(text.charCodeAt(p))) p++;
    const len = p - i;
    const c = at(text, p);
    if (c !== 0x20 && c !== 0x2d && c !== 0x2e && c !== 0x28 && len !== 9 && (len < 13 || len > 19)) return undefined;
  }
  // Every kind below needs 8 digits or more (E.164 after '+'), 9 or more without '+'. The
  // groups readGroups would read are made of the run of digits, separators and parentheses
  // from i: when that run has too few digits, dates, amounts and short references stop here.
  let digitsAhead = 0;
  for (let p = i; p < limit; p++) {
    const c = text.charCodeAt(p);
    if (isDigit(c)) digitsAhead++;
    else if (c !== 0x20 && c !== 0x2d && c !== 0x2e && c !== 0x28 && c !== 0x29 && c !== 0x2b) break;
  }
  if (digitsAhead < (text.charCodeAt(i) === 0x2b ? 8 : 9)) return undefined;
  const g = readGroups(text, i);
  if (!g) return undefined;
  // Every kind below needs 8 digits or more (E.164 with '+'), 9 or more without '+':
  // dates, amounts and short references stop here.
  let digitCount = 0;
  for (const x of g.groups) digitCount += x.length;
  if (digitCount < (g.plus ? 8 : 9)) return undefined;
  // The whole run, or a prefix of it followed by a space: "555-123-4567 555-987-6543" holds two
  // numbers. A prefix counts only when the space differs from its own separators (or it is one group).
  for (let k = g.groups.length; k >= 1; k--) {
    const whole = k === g.groups.length;
    if (whole ? g.continues || !endsWord(text, g.end) : g.seps[k - 1] !== ' ' || (k > 1 && g.seps.slice(0, k - 1).every((x) => x === ' '))) continue;
    const sub: Groups = whole
      ? g
      : { ...g, groups: g.groups.slice(0, k), seps: g.seps.slice(0, k - 1), ends: g.ends.slice(0, k), end: g.ends[k - 1]!, continues: false, parens: g.parens && parenWithin(text, i, g.ends[k - 1]!) };
    const digits = sub.groups.join('');
    const kind = (!sub.plus && !sub.parens && (ssnKind(text, i, sub) ?? cardKind(sub, digits))) || phoneKind(sub, digits);
    if (kind) return { kind, start: i, end: sub.end };
  }
  return undefined;
}

function parenWithin(text: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (text.charCodeAt(k) === 0x28) return true;
  return false;
}

/** Dotted-quad IPv4, 0–255 without leading zeros; a port, prefix length or range may follow (":8080", "/24", "-10.0.0.9"). */
function ipv4(text: string, i: number): Finding | undefined {
  // Called at every number: the parts are checked as they are read (the rules of
  // validIpv4Groups), so that most numbers fail at their first non-digit without
  // a string being made.
  let p = i;
  let valid = true;
  for (let k = 0; k < 4; k++) {
    const s = p;
    let v = 0;
    while (p - s < 4 && isDigit(at(text, p))) v = v * 10 + text.charCodeAt(p++) - 0x30;
    if (p === s) return undefined;
    if (p - s > 3 || (p - s > 1 && text.charCodeAt(s) === 0x30) || v > 255) valid = false;
    if (k < 3) {
      if (at(text, p) !== 0x2e) return undefined;
      p++;
    }
  }
  const c = at(text, p);
  if (isWord(c) || (c === 0x2e && isDigit(at(text, p + 1)))) return undefined;
  if (!valid || versionContext(text, i)) return undefined;
  return { kind: 'ipv4', start: i, end: p };
}

function validIpv4Groups(groups: readonly string[]): boolean {
  return groups.every((x) => x.length <= 3 && (x === '0' || !x.startsWith('0')) && Number(x) <= 255);
}

/** "version 1.2.3.4", "section 1.2.3.4": numbered things that look like addresses. */
const VERSION_WORDS = new Set(['version', 'ver', 'v', 'release', 'build', 'firmware', 'section', 'chapter', 'clause', 'step', 'rule', 'item', 'paragraph', 'oid']);
function versionContext(text: string, i: number): boolean {
  return VERSION_WORDS.has(wordBefore(text, i));
}

/** US social security numbers: AAA-GG-SSSS (or spaces), or 9 digits right after "SSN"/"social security". */
function ssnKind(text: string, i: number, g: Groups): string | undefined {
  let a: string, b: string, c: string;
  if (g.groups.length === 3 && g.groups[0]!.length === 3 && g.groups[1]!.length === 2 && g.groups[2]!.length === 4 && g.seps[0] === g.seps[1] && (g.seps[0] === '-' || g.seps[0] === ' ')) {
    [a, b, c] = g.groups as [string, string, string];
  } else if (g.groups.length === 1 && g.groups[0]!.length === 9 && ssnContext(text, i)) {
    const d = g.groups[0]!;
    [a, b, c] = [d.slice(0, 3), d.slice(3, 5), d.slice(5)];
  } else {
    return undefined;
  }
  return ssnValid(a, b, c) ? 'us_ssn' : undefined;
}

function ssnContext(text: string, i: number): boolean {
  const before = text.slice(Math.max(0, i - 32), i).toLowerCase();
  return /\bssn\b|social security/.test(before);
}

/** SSA rules: area 001–899 except 666, group 01–99, serial 0001–9999. */
export function ssnValid(area: string, group: string, serial: string): boolean {
  if (!/^\d{3}$/.test(area) || !/^\d{2}$/.test(group) || !/^\d{4}$/.test(serial)) return false;
  const a = Number(area);
  return a !== 0 && a !== 666 && a < 900 && group !== '00' && serial !== '0000';
}

/** Card numbers: 13–19 digits, contiguous or grouped by spaces or dashes, a known issuer prefix, Luhn-valid. */
function cardKind(g: Groups, digits: string): string | undefined {
  if (digits.length < 13 || digits.length > 19) return undefined;
  if (g.groups.length > 1) {
    const sep = g.seps[0];
    if ((sep !== ' ' && sep !== '-') || g.seps.some((s) => s !== sep)) return undefined;
    const sizes = g.groups.map((x) => x.length);
    const fours = sizes.slice(0, -1).every((s) => s === 4) && sizes[sizes.length - 1]! >= 1 && sizes[sizes.length - 1]! <= 4;
    const amex = sizes.length === 3 && sizes[0] === 4 && sizes[1] === 6 && (sizes[2] === 5 || sizes[2] === 4);
    if (!fours && !amex) return undefined;
  }
  return knownIssuer(digits) && luhnValid(digits) ? 'credit_card' : undefined;
}

function knownIssuer(d: string): boolean {
  const two = Number(d.slice(0, 2));
  const four = Number(d.slice(0, 4));
  switch (d[0]) {
    case '4': // Visa
      return true;
    case '5': // Mastercard 51–55; Maestro 50, 56–59
      return true;
    case '2': // Mastercard 2221–2720
      return four >= 2221 && four <= 2720;
    case '3': // Amex 34, 37; Diners 30, 36, 38, 39; JCB 35
      return two === 34 || two === 37 || two === 30 || two === 36 || two === 38 || two === 39 || two === 35;
    case '6': // Discover, UnionPay, Maestro, RuPay
      return true;
    default:
      return false;
  }
}

/** The Luhn (mod 10) checksum of a digit string. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * Phone numbers:
 * - international: '+' (or '00') and a country code, 8–15 digits (E.164);
 * - North American: (NXX) XXX-XXXX, NXX-XXX-XXXX, NXX.XXX.XXXX, NXX XXX XXXX (N = 2–9), optionally after 1;
 * - national with a trunk 0: 9–11 digits in 3 or more groups with one kind of separator (020 7946 0958, 01 23 45 67 89);
 * - UK mobile: 07 and 9 more digits, written 5 + 6 or 5 + 3 + 3, separated by spaces or by dashes (07911 123456, 07700 900 123).
 * Bare digit runs without '+' are not phone numbers (order numbers, ids).
 */
function phoneKind(g: Groups, digits: string): string | undefined {
  if (g.plus) {
    if (digits.length < 8 || digits.length > 15 || digits[0] === '0') return undefined;
    return 'phone';
  }
  if (digits.startsWith('00') && g.groups.length >= 2) {
    const rest = digits.length - 2;
    return rest >= 8 && rest <= 15 && digits[2] !== '0' ? 'phone' : undefined;
  }
  // North American numbering plan.
  let gs = g.groups;
  let seps = g.seps;
  if (gs.length === 4 && gs[0] === '1') {
    gs = gs.slice(1);
    seps = seps.slice(1);
  }
  if (gs.length === 3 && gs[0]!.length === 3 && gs[1]!.length === 3 && gs[2]!.length === 4) {
    // The area code starts with 2–9 (NANP). The exchange should too, but examples everyone
    // writes (555-123-4567) break that rule, and they are worth redacting all the same.
    const area = gs[0]![0]!;
    if (area >= '2' && area <= '9' && (g.parens || (seps[0] !== '' && seps[0] === seps[1])) && seps[1] !== '') return 'phone';
    return undefined;
  }
  if (digits[0] === '0' && digits[1] !== '0' && !g.parens && digits.length >= 9 && digits.length <= 11 && g.groups.length >= 2) {
    const sep = g.seps[0]!;
    if (!g.seps.every((s) => s === sep)) return undefined;
    if (g.groups.length >= 3 && g.groups.every((x) => x.length >= 2 && x.length <= 4)) return 'phone';
    // UK mobile numbers, 07xxx xxxxxx and 07xxx xxx xxx: the 5-digit group is the trunk 0 and a
    // mobile prefix 7xxx; any other 5 + 6 digits (references, ids) is not read as a phone.
    if (digits.length === 11 && digits[1] === '7' && g.groups[0]!.length === 5 && (sep === ' ' || sep === '-')) {
      const sizes = g.groups.length === 2 ? g.groups[1]!.length === 6 : g.groups.length === 3 && g.groups[1]!.length === 3 && g.groups[2]!.length === 3;
      if (sizes) return 'phone';
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// IPv6 and MAC addresses

const IPV6_MAX = 45;

function ipv6(text: string, i: number): Finding | undefined {
  if (at(text, i - 1) === 0x3a || at(text, i - 1) === 0x2e) return undefined;
  let p = i;
  const limit = Math.min(text.length, i + IPV6_MAX + 1);
  let colon = -1;
  while (p < limit) {
    const c = text.charCodeAt(p);
    if (c === 0x3a) {
      if (colon < 0) colon = p;
      p++;
    } else if (isHex(c) || c === 0x2e) p++;
    else break;
  }
  // Every word starting with a-f gets here: without a ':' it cannot be an address (ipv6Valid
  // would say so), and the slice and split are not worth making.
  if (colon < 0) return undefined;
  if (p === limit && p < text.length && (isHex(text.charCodeAt(p)) || text.charCodeAt(p) === 0x3a)) return undefined;
  let end = p;
  // A sentence may end with ':' or '.' right after an address.
  while (end > i && (text.charCodeAt(end - 1) === 0x2e || (text.charCodeAt(end - 1) === 0x3a && text.charCodeAt(end - 2) !== 0x3a))) end--;
  if (colon >= end || end - i > IPV6_MAX || isWord(at(text, end))) return undefined;
  return ipv6Valid(text.slice(i, end)) ? { kind: 'ipv6', start: i, end } : undefined;
}

/** A textual IPv6 address (RFC 4291 forms, with '::' and an embedded IPv4 tail); '::' alone, one-group forms other than '::1' and digit-less compressed forms excluded. */
export function ipv6Valid(s: string): boolean {
  if (!s.includes(':')) return false;
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const parse = (h: string): string[] | undefined => (h === '' ? [] : h.split(':'));
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  if (!head || !tail) return false;
  const all = [...head, ...tail];
  let count = 0;
  for (let k = 0; k < all.length; k++) {
    const grp = all[k]!;
    if (grp.includes('.')) {
      // Only the last group may be an IPv4 address.
      if (k !== all.length - 1) return false;
      const parts = grp.split('.');
      if (parts.length !== 4 || !parts.every((x) => /^\d{1,3}$/.test(x)) || !validIpv4Groups(parts)) return false;
      count += 2;
    } else {
      if (!/^[0-9A-Fa-f]{1,4}$/.test(grp)) return false;
      count++;
    }
  }
  if (halves.length === 2) {
    if (count > 7) return false;
    // "::" alone, "a::b", "abc::def" are mostly code (C++ scopes, Rust paths): a compressed
    // address needs two groups and a decimal digit, or is the loopback.
    return (count >= 2 && /\d/.test(s)) || s === '::1';
  }
  return count === 8;
}

function macAddress(text: string, i: number): Finding | undefined {
  // 00:1A:2B:3C:4D:5E, 00-1A-2B-3C-4D-5E, 001A.2B3C.4D5E
  const sep = at(text, i + 2);
  if (sep === 0x3a || sep === 0x2d) {
    for (let k = 0; k < 6; k++) {
      const p = i + k * 3;
      if (!isHex(at(text, p)) || !isHex(at(text, p + 1))) return undefined;
      if (k < 5 && at(text, p + 2) !== sep) return undefined;
    }
    const end = i + 17;
    const c = at(text, end);
    if (isWord(c) || (c === sep && isHex(at(text, end + 1)))) return undefined;
    return hasMacShape(text.slice(i, end)) ? { kind: 'mac_address', start: i, end } : undefined;
  }
  if (at(text, i + 4) === 0x2e) {
    for (let k = 0; k < 3; k++) {
      const p = i + k * 5;
      for (let d = 0; d < 4; d++) if (!isHex(at(text, p + d))) return undefined;
      if (k < 2 && at(text, p + 4) !== 0x2e) return undefined;
    }
    const end = i + 14;
    const c = at(text, end);
    if (isWord(c) || (c === 0x2e && isAlnum(at(text, end + 1)))) return undefined;
    return hasMacShape(text.slice(i, end)) ? { kind: 'mac_address', start: i, end } : undefined;
  }
  return undefined;
}

/** Not all decimal digits in '-' form (dates and ids such as 12-34-56-78-90-12 are rarer as MACs than as numbers). */
function hasMacShape(s: string): boolean {
  return !(s.includes('-') && /^[\d-]+$/.test(s));
}

// ---------------------------------------------------------------------------
// IBAN: country code, check digits, BBAN of the country's length; mod 97

/** IBAN lengths by country (SWIFT IBAN registry). */
const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28, CH: 21, CR: 22, CY: 28, CZ: 24,
  DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27,
  GT: 28, HN: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20,
  LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28, NL: 18, NO: 15, OM: 23, PK: 24,
  PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25,
  SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
};

/** An IBAN finding; or, for text shaped like one (country, check digits, 4-character groups) that fails the checks, where it ends. */
function iban(text: string, i: number): Finding | number | undefined {
  // Most capitalised words fail here, before a two-letter slice is made to look up the country.
  if (!isUpper(at(text, i + 1)) || !isDigit(at(text, i + 2)) || !isDigit(at(text, i + 3))) return undefined;
  const len = IBAN_LENGTHS[text.slice(i, i + 2)];
  if (len === undefined) return undefined;
  let p = i;
  let chars = '';
  while (chars.length < len && p < text.length) {
    const c = text.charCodeAt(p);
    if (isDigit(c) || isUpper(c)) {
      chars += text[p];
      p++;
    } else if (c === 0x20 && chars.length >= 4 && (isDigit(at(text, p + 1)) || isUpper(at(text, p + 1))) && at(text, p - 1) !== 0x20) {
      p++;
    } else {
      break;
    }
  }
  if (chars.length === len && !isAlnum(at(text, p)) && ibanValid(chars)) return { kind: 'iban', start: i, end: p };
  // "DE89 3704 0044 0532 0130": grouped like an IBAN; skip the groups.
  if (at(text, i + 4) === 0x20) {
    let q = i + 4;
    let groups = 0;
    while (at(text, q) === 0x20 && q < p && isAlnum(at(text, q + 1))) {
      q++;
      while (isAlnum(at(text, q))) q++;
      groups++;
    }
    if (groups >= 2) return q;
  }
  return undefined;
}

/** The IBAN check: known country and length, then mod 97 of the rearranged number is 1. Spaces are ignored. */
export function ibanValid(input: string): boolean {
  const s = input.replace(/ /g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(s) || IBAN_LENGTHS[s.slice(0, 2)] !== s.length) return false;
  const r = s.slice(4) + s.slice(0, 4);
  let rem = 0;
  for (let k = 0; k < r.length; k++) {
    const c = r.charCodeAt(k);
    const v = c <= 0x39 ? c - 48 : c - 55;
    rem = v >= 10 ? (rem * 100 + v) % 97 : (rem * 10 + v) % 97;
  }
  return rem === 1;
}
