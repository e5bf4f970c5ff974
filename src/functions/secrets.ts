// secrets(): kinds of credentials found in a text. Known token formats are
// recognised by their prefix at the start of a token; `name = value`
// assignments are found from the '=' or ':' and read outwards a bounded
// distance; PEM private keys from their BEGIN line. Linear in the text.

import { at, type Finding, isAlnum, isDigit, isLower, isSpace, isUpper, isWord, resolveOverlaps } from './text-scan.js';

export const SECRET_KINDS = [
  'private_key',
  'aws_access_key_id',
  'aws_secret_access_key',
  'github_token',
  'gitlab_token',
  'slack_token',
  'slack_webhook',
  'openai_api_key',
  'anthropic_api_key',
  'google_api_key',
  'stripe_key',
  'jwt',
  'bearer_token',
  'password',
  'generic_secret',
] as const;
export type SecretKind = (typeof SECRET_KINDS)[number];

/** Token characters: what a key, once started, is made of. */
const isTokenChar = (c: number): boolean => isWord(c) || c === 0x2d;
const isB64 = (c: number): boolean => isAlnum(c) || c === 0x2b || c === 0x2f;

/** The end of the run of `pred` characters from i, reading at most `max`. */
function runEnd(text: string, i: number, pred: (c: number) => boolean, max: number): number {
  let p = i;
  const limit = Math.min(text.length, i + max);
  while (p < limit && pred(text.charCodeAt(p))) p++;
  return p;
}

/** Every credential finding in `text`, in text order, without overlaps. */
export function findSecrets(text: string): Finding[] {
  const specific: Finding[] = [];
  const generic: Finding[] = [];
  const n = text.length;
  const pem = new PemScanner(text);
  // The second half of the loop body is the scan at one position, as it was when the loop
  // stepped through every character. Between two CANDIDATEs that scan can only step over
  // characters and skip runs of token characters (a run start that is no candidate is no
  // token), finding nothing; so the loop jumps to the next candidate, or past the token
  // run the scan would have skipped it with.
  let i = 0;
  while (i < n) {
    CANDIDATE.lastIndex = i;
    if (!CANDIDATE.test(text)) break;
    const j = CANDIDATE.lastIndex - 1;
    if (j > i && isTokenChar(text.charCodeAt(j - 1))) {
      // j is inside a run of token characters. The scan skips the whole run from its start
      // (no token there) unless it started before i, where the scan is already stepping
      // through the run one character at a time.
      let s = j - 1;
      while (s > i && isTokenChar(text.charCodeAt(s - 1))) s--;
      if (s > i || !isTokenChar(at(text, i - 1))) {
        i = runEnd(text, s, isTokenChar, n);
        continue;
      }
    }
    i = j;

    // The scan, at a position it visits:
    const c = text.charCodeAt(i);
    if (c === 0x3d /* = */ || c === 0x3a /* : */) {
      const f = assignment(text, i);
      if (f) (f.kind === 'aws_secret_access_key' ? specific : generic).push(f);
      i++;
      continue;
    }
    if (c === 0x2d && text.startsWith('-----BEGIN ', i)) {
      const f = pem.at(i);
      if (f) {
        specific.push(f);
        i = f.end;
        continue;
      }
    }
    if (!isTokenChar(c) || isTokenChar(at(text, i - 1))) {
      i++;
      continue;
    }
    const f = token(text, i);
    if (f) {
      specific.push(f);
      if (f.kind === 'aws_access_key_id') {
        const s = awsSecretNear(text, f.end);
        if (s) specific.push(s);
      }
    }
    // Nothing starts inside a token: continue after the run.
    i = Math.max(i + 1, f ? f.end : runEnd(text, i, isTokenChar, n));
  }
  const kept = generic.filter((g) => !specific.some((s) => s.start < g.end && g.start < s.end));
  return resolveOverlaps([...specific, ...kept]);
}

/** The secret kinds present, in the order of SECRET_KINDS. */
export function secretKinds(findings: readonly Finding[]): SecretKind[] {
  const seen = new Set(findings.map((f) => f.kind));
  return SECRET_KINDS.filter((k) => seen.has(k));
}

// ---------------------------------------------------------------------------
// Known token formats

const AWS_KEY_PREFIXES = ['AKIA', 'ASIA', 'ABIA', 'ACCA', 'AGPA', 'AIDA', 'AIPA', 'ANPA', 'ANVA', 'AROA', 'APKA', 'ASCA'];
const MAX_TOKEN = 4096;

/**
 * Where the main loop of findSecrets has something to do: an assignment operator, a PEM
 * BEGIN line, or the prefix of a known token format — exactly the prefixes token()
 * accepts (keep the two in step: a prefix missing here is never looked at). Each match
 * is one character long (the rest is lookahead), so its position is lastIndex − 1
 * without a match array. One native regex scan over the text replaces a JavaScript
 * loop over every character; in most prompts it finds a few ':' and nothing else.
 */
const CANDIDATE = new RegExp(
  [
    '[=:]',
    '-(?=----BEGIN )',
    `A(?=${AWS_KEY_PREFIXES.map((p) => p.slice(1)).join('|')}|Iza)`,
    'g(?=h[pousr]_|ithub_pat_|lpat-)',
    'x(?=ox[abposr]-|app-)',
    's(?=k-|k_live_|k_test_)',
    'r(?=k_live_|k_test_)',
    'e(?=yJ)',
    'h(?=ttps://hooks\\.slack\\.com/services/)',
    '[Bb](?=earer[ \\t]|EARER[ \\t])',
  ].join('|'),
  'g',
);

const isUpperOrDigit = (c: number): boolean => isUpper(c) || isDigit(c);

/** Length of the run of `pred` characters after a prefix of `prefix` characters at i. */
function bodyLength(text: string, i: number, prefix: number, pred: (c: number) => boolean): number {
  return runEnd(text, i + prefix, pred, MAX_TOKEN) - i - prefix;
}

function finding(kind: SecretKind, start: number, end: number): Finding {
  return { kind, start, end };
}

function token(text: string, i: number): Finding | undefined {
  const c0 = text.charCodeAt(i);
  // Every format below starts with one of these letters (or a digit-free prefix): most words end here.
  if (c0 !== 0x41 && c0 !== 0x67 && c0 !== 0x78 && c0 !== 0x73 && c0 !== 0x72 && c0 !== 0x65 && c0 !== 0x68 && c0 !== 0x42 && c0 !== 0x62) return undefined;
  const end = runEnd(text, i, isTokenChar, MAX_TOKEN);
  const len = end - i;
  switch (c0) {
    case 0x41: // A
      if (len === 20 && AWS_KEY_PREFIXES.includes(text.slice(i, i + 4)) && bodyLength(text, i, 4, isUpperOrDigit) === 16) return finding('aws_access_key_id', i, end);
      if (len === 39 && text.startsWith('AIza', i)) return finding('google_api_key', i, end);
      return undefined;
    case 0x67: {
      // g
      if (text.startsWith('gh', i) && at(text, i + 3) === 0x5f && 'pousr'.includes(text[i + 2]!)) {
        const b = bodyLength(text, i, 4, isAlnum);
        return b >= 36 ? finding('github_token', i, i + 4 + b) : undefined;
      }
      if (text.startsWith('github_pat_', i) && len >= 70) return finding('github_token', i, end);
      if (text.startsWith('glpat-', i) && len >= 26) return finding('gitlab_token', i, end);
      return undefined;
    }
    case 0x78: // x
      if (text.startsWith('xox', i) && at(text, i + 4) === 0x2d && 'abposr'.includes(text[i + 3]!) && len >= 15) return finding('slack_token', i, end);
      if (text.startsWith('xapp-', i) && len >= 20) return finding('slack_token', i, end);
      return undefined;
    case 0x73: {
      // s
      if (at(text, i + 1) !== 0x6b) return undefined;
      if (text.startsWith('sk-ant-', i)) return len >= 40 ? finding('anthropic_api_key', i, end) : undefined;
      if ((text.startsWith('sk-proj-', i) || text.startsWith('sk-svcacct-', i) || text.startsWith('sk-admin-', i)) && len >= 40) return finding('openai_api_key', i, end);
      if (text.startsWith('sk-', i)) {
        const b = bodyLength(text, i, 3, isAlnum);
        return b >= 32 ? finding('openai_api_key', i, i + 3 + b) : undefined;
      }
      if (text.startsWith('sk_live_', i) || text.startsWith('sk_test_', i)) {
        const b = bodyLength(text, i, 8, isAlnum);
        return b >= 16 ? finding('stripe_key', i, i + 8 + b) : undefined;
      }
      return undefined;
    }
    case 0x72: // r
      if (text.startsWith('rk_live_', i) || text.startsWith('rk_test_', i)) {
        const b = bodyLength(text, i, 8, isAlnum);
        return b >= 16 ? finding('stripe_key', i, i + 8 + b) : undefined;
      }
      return undefined;
    case 0x65: // e
      return text.startsWith('eyJ', i) ? jwt(text, i) : undefined;
    case 0x68: // h
      if (text.startsWith('https://hooks.slack.com/services/', i)) {
        const e = runEnd(text, i, isUrlChar, 512);
        return e - i > 50 ? finding('slack_webhook', i, e) : undefined;
      }
      return undefined;
    case 0x42: // B
    case 0x62: // b
      return len === 6 && text.slice(i, i + 6).toLowerCase() === 'bearer' ? bearer(text, i + 6) : undefined;
    default:
      return undefined;
  }
}

/** RFC 6750 b64token characters: A-Z a-z 0-9 - . _ ~ + / (then '=' padding). */
const isBearerChar = (c: number): boolean => isWord(c) || c === 0x2d || c === 0x2e || c === 0x7e || c === 0x2b || c === 0x2f;
const MIN_BEARER = 20;

/**
 * The credential after "Bearer" (an HTTP Authorization header, `curl -H 'Authorization: Bearer …'`),
 * `p` just after the word: a known format there is reported as that format (a JWT, a GitHub
 * token); anything else is a `bearer_token` when it is 20+ b64token characters with a letter and
 * a digit, not a placeholder (YOUR_ACCESS_TOKEN, <token>, $TOKEN, {{token}}, xxxx…).
 */
function bearer(text: string, p: number): Finding | undefined {
  let v = p;
  while (v - p < 3 && (at(text, v) === 0x20 || at(text, v) === 0x09)) v++;
  if (v === p || !isBearerChar(at(text, v))) return undefined;
  // (A value starting with 'b' is no known format; not looking spares "Bearer Bearer …" a recursion.)
  const c = text.charCodeAt(v);
  const known = c === 0x42 || c === 0x62 ? undefined : token(text, v);
  if (known) return known;
  let end = runEnd(text, v, isBearerChar, MAX_TOKEN);
  // A full stop after the token ends the sentence, not the token.
  while (end > v && text.charCodeAt(end - 1) === 0x2e) end--;
  while (at(text, end) === 0x3d && end - v < MAX_TOKEN) end++;
  // Followed by a space, a quote, the end of the text …, not by more of a word.
  if (end - v < MIN_BEARER || isAlnum(at(text, end))) return undefined;
  const value = text.slice(v, end);
  if (!/[A-Za-z]/.test(value) || !/\d/.test(value) || /^(?:your|my|example|sample|dummy|fake|placeholder)[_-]/i.test(value) || /^(.)\1*$/.test(value)) return undefined;
  return finding('bearer_token', v, end);
}

const isUrlChar = (c: number): boolean => isTokenChar(c) || c === 0x2f || c === 0x3a || c === 0x2e;
const isB64u = (c: number): boolean => isAlnum(c) || c === 0x2d || c === 0x5f;

/** header.payload.signature, base64url, the first two JSON objects ("eyJ" is '{"'). */
function jwt(text: string, i: number): Finding | undefined {
  const h = runEnd(text, i, isB64u, MAX_TOKEN);
  if (h - i < 10 || at(text, h) !== 0x2e || !text.startsWith('eyJ', h + 1)) return undefined;
  const p = runEnd(text, h + 1, isB64u, 64 * 1024);
  if (p - h - 1 < 10 || at(text, p) !== 0x2e) return undefined;
  const s = runEnd(text, p + 1, isB64u, MAX_TOKEN);
  if (s - p - 1 < 16) return undefined;
  return { kind: 'jwt', start: i, end: s };
}

/** An AWS secret access key: 40 base64 characters, mixed case, shortly after an access key id. */
function awsSecretNear(text: string, from: number): Finding | undefined {
  const limit = Math.min(text.length, from + 200);
  let i = from;
  while (i < limit) {
    if (!isB64(text.charCodeAt(i)) || isB64(at(text, i - 1))) {
      i++;
      continue;
    }
    const e = runEnd(text, i, isB64, 41);
    if (e - i === 40 && !isB64(at(text, e)) && looksRandom(text.slice(i, e))) return { kind: 'aws_secret_access_key', start: i, end: e };
    i = runEnd(text, i, isB64, limit - i);
  }
  return undefined;
}

/** Upper and lower case letters and a digit or symbol: not a word or a hex digest. */
function looksRandom(s: string): boolean {
  let upper = false;
  let lower = false;
  let other = false;
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (isUpper(c)) upper = true;
    else if (isLower(c)) lower = true;
    else other = true;
  }
  return upper && lower && other;
}

// ---------------------------------------------------------------------------
// PEM private keys

/** Longer than any PEM private key (an 8192-bit RSA key is about 6.5 KB). */
const MAX_PEM = 16 * 1024;

/** Finds BEGIN … PRIVATE KEY blocks; remembers where the next END line is so repeated BEGINs stay linear. */
class PemScanner {
  private searchedFrom = -1;
  private nextEnd = -1;

  constructor(private readonly text: string) {}

  at(i: number): Finding | undefined {
    const text = this.text;
    const lineEnd = runEnd(text, i + 11, (c) => c !== 0x0a && c !== 0x0d, 64);
    const header = text.slice(i, lineEnd);
    if (!/^-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY( BLOCK)?-----/.test(header)) return undefined;
    const headerEnd = i + header.indexOf('-----', 11) + 5;
    // The matching END line (near enough to belong to this key), or else the end of the base64 body.
    if (this.searchedFrom < 0 || (this.nextEnd >= 0 && this.nextEnd < headerEnd)) {
      this.nextEnd = text.indexOf('-----END ', headerEnd);
      this.searchedFrom = headerEnd;
    }
    if (this.nextEnd >= 0 && this.nextEnd - i < MAX_PEM) {
      const close = text.indexOf('-----', this.nextEnd + 9);
      if (close >= 0 && close - this.nextEnd < 80 && text.slice(this.nextEnd, close).includes('PRIVATE KEY')) return { kind: 'private_key', start: i, end: close + 5 };
    }
    const body = runEnd(text, headerEnd, (c) => isB64(c) || c === 0x3d || c === 0x0a || c === 0x0d || c === 0x3a || c === 0x2d || c === 0x20 || c === 0x2c, text.length);
    return { kind: 'private_key', start: i, end: body };
  }
}

// ---------------------------------------------------------------------------
// name = value assignments

const PASSWORD_NAMES = /(?:password|passwd|passphrase|pwd|(?:^|[_.-])pass)$/;
/** Names that say "password" in full: their values may be shorter (MIN_EXPLICIT_PASSWORD). */
const EXPLICIT_PASSWORD_NAMES = /(?:password|passwd)$/;
/** A file-system path: /home/…, ~/…, ./…, ../…, C:\… */
const PATH_VALUE = /^(?:~|\.{1,2})?\/|^[A-Za-z]:[\\/]/;
const SECRET_NAMES = /(?:api[_-]?key|access[_-]?token|auth[_-]?token|api[_-]?token|bearer[_-]?token|refresh[_-]?token|secret[_-]?key|client[_-]?secret|private[_-]?key|(?:^|[_.-])(?:secret|token|credentials?))$/;
const AWS_SECRET_NAMES = /(?:aws[_-]?secret(?:[_-]?access)?[_-]?key|secret[_-]?access[_-]?key)$/;
const PLACEHOLDERS = new Set([
  'password', 'passwd', 'changeme', 'change_me', 'secret', 'none', 'null', 'nil', 'undefined', 'true', 'false', 'example', 'redacted',
  'your_password', 'yourpassword', 'your-password', 'mypassword', 'my_password', 'your_api_key', 'your-api-key', 'yourapikey', 'api_key',
  'apikey', 'token', 'your_token', 'placeholder', 'required', 'optional', 'string', 'str', 'env', 'default', 'empty', 'test', 'dummy',
]);
/** An unquoted value ends at a space or at , ; & " ' ) } ] < > */
const isUnquotedValueChar = (c: number): boolean =>
  !isSpace(c) && c !== 0x2c && c !== 0x3b && c !== 0x26 && c !== 0x22 && c !== 0x27 && c !== 0x29 && c !== 0x7d && c !== 0x5d && c !== 0x3c && c !== 0x3e;
const MAX_NAME = 64;
const MAX_VALUE = 256;

function assignment(text: string, k: number): Finding | undefined {
  // Comparisons and scopes (==, !=, <=, >=, ::) are not assignments.
  const op = text.charCodeAt(k);
  const before = at(text, k - 1);
  const after = at(text, k + 1);
  if (op === 0x3d && (after === 0x3d || before === 0x3d || before === 0x21 || before === 0x3c || before === 0x3e)) return undefined;
  if (op === 0x3a && (after === 0x3a || before === 0x3a)) return undefined;
  // `name` before the operator: skip spaces and a closing quote, then read the identifier backwards.
  let j = k - 1;
  let skipped = 0;
  while (j >= 0 && skipped < 3 && (text.charCodeAt(j) === 0x20 || text.charCodeAt(j) === 0x09)) {
    j--;
    skipped++;
  }
  if (j >= 0 && (text.charCodeAt(j) === 0x22 || text.charCodeAt(j) === 0x27)) j--;
  const nameEnd = j + 1;
  while (j >= 0 && nameEnd - j <= MAX_NAME && (isWord(text.charCodeAt(j)) || text.charCodeAt(j) === 0x2d || text.charCodeAt(j) === 0x2e)) j--;
  const nameStart = j + 1;
  if (nameStart === nameEnd) return undefined;
  const name = text.slice(nameStart, nameEnd).toLowerCase();
  // user:password@host in a URL
  if (text.charCodeAt(k) === 0x3a && at(text, nameStart - 1) === 0x2f && at(text, nameStart - 2) === 0x2f) return urlPassword(text, k);
  const aws = AWS_SECRET_NAMES.test(name);
  const kind: SecretKind | undefined = aws ? 'aws_secret_access_key' : PASSWORD_NAMES.test(name) ? 'password' : SECRET_NAMES.test(name) ? 'generic_secret' : undefined;
  if (!kind) return undefined;
  // The value after the operator (=, :, =>, :=), maybe quoted.
  let p = k + 1;
  if (at(text, p) === 0x3e || at(text, p) === 0x3d) p++;
  skipped = 0;
  while (skipped < 3 && (at(text, p) === 0x20 || at(text, p) === 0x09)) {
    p++;
    skipped++;
  }
  const q = at(text, p);
  let start: number;
  let end: number;
  let quoted = false;
  if (q === 0x22 || q === 0x27 || q === 0x60) {
    start = p + 1;
    end = runEnd(text, start, (c) => c !== q && c !== 0x0a && c !== 0x0d, MAX_VALUE);
    if (at(text, end) !== q) return undefined;
    quoted = true;
  } else {
    start = p;
    end = runEnd(text, start, isUnquotedValueChar, MAX_VALUE);
  }
  // An unquoted value does not end with sentence punctuation.
  if (!quoted) while (end > start && /[.:,]/.test(text[end - 1]!) && !/[.:,]/.test(text[end - 2] ?? '')) end--;
  const value = text.slice(start, end);
  if (kind === 'aws_secret_access_key') {
    return value.length === 40 && /^[A-Za-z0-9/+]+$/.test(value) ? { kind, start, end } : undefined;
  }
  // pwd: /home/user/projects is the working directory (PWD, OLDPWD in a shell), not a password.
  if (kind === 'password' && name.endsWith('pwd') && PATH_VALUE.test(value)) return undefined;
  return nonTrivial(value, kind, quoted, kind === 'password' && EXPLICIT_PASSWORD_NAMES.test(name)) ? { kind, start, end } : undefined;
}

function urlPassword(text: string, k: number): Finding | undefined {
  const end = runEnd(text, k + 1, (c) => !isSpace(c) && c !== 0x2f && c !== 0x40 && c !== 0x3a, 128);
  if (at(text, end) !== 0x40 || end - k - 1 < 3) return undefined;
  const value = text.slice(k + 1, end);
  if (PLACEHOLDERS.has(value.toLowerCase()) || /^(?:\$|%|\{\{|<)/.test(value) || /^[x*.•]+$/i.test(value)) return undefined;
  return { kind: 'password', start: k + 1, end };
}

/** The shortest value of a name that says "password" in full (`password: hunter2`). */
const MIN_EXPLICIT_PASSWORD = 6;

/**
 * A real value rather than a placeholder, a reference or a type: long enough
 * (6+ for names saying password or passwd, 8+ for other password names, 16+ for
 * other secrets), not a known placeholder, not a variable/template reference,
 * not one repeated character, and with two kinds of characters (or 16+
 * characters, or, for a name saying password, all digits: 123456).
 */
function nonTrivial(value: string, kind: SecretKind, quoted: boolean, explicit = false): boolean {
  const min = kind === 'password' ? (explicit ? MIN_EXPLICIT_PASSWORD : 8) : 16;
  if (value.length < min) return false;
  // The values only the shorter minimum lets in are not code: args[1], a.b, ./x.
  if (!quoted && value.length < 8 && /[.[\]/\\{]/.test(value)) return false;
  const lower = value.toLowerCase();
  if (PLACEHOLDERS.has(lower)) return false;
  if (/^(?:\$|%\(|\{\{|<|\[|process\.env|os\.environ|env\(|getenv|secrets\.|vault:|ssm:|arn:)/i.test(value)) return false;
  if (/^(.)\1*$/.test(value) || /^[x*.•#-]+$/i.test(value)) return false;
  if (/^(?:your|my|example|sample|dummy|fake|test)[_-]/.test(lower)) return false;
  // Unquoted identifiers and calls are code (password = user_input, token = get_token()).
  if (!quoted && (/^[A-Za-z_][A-Za-z_.]*$/.test(value) || value.includes('('))) return false;
  let classes = 0;
  if (/[a-z]/.test(value)) classes++;
  if (/[A-Z]/.test(value)) classes++;
  if (/\d/.test(value)) classes++;
  if (/[^A-Za-z0-9]/.test(value)) classes++;
  return classes >= 2 || value.length >= 16 || (explicit && /^\d+$/.test(value));
}
