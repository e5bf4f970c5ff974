// CEL lexer: turns expression source into tokens, decoding literals as it goes.
// Follows the lexical grammar of the CEL spec (langdef.md): decimal and hex
// ints, `u` suffixed uints, doubles, the six string quotings with raw and
// bytes prefixes and every escape form.

export type TokenKind =
  | 'eof'
  | 'ident'
  | 'int'
  | 'uint'
  | 'double'
  | 'string'
  | 'bytes'
  /** A backtick-quoted field name: a.`content-type`. */
  | 'qident'
  | 'punct';

export interface Token {
  readonly kind: TokenKind;
  /** For ident/punct: the text. For literals: the source text. */
  readonly text: string;
  /** Decoded literal: bigint for int/uint, number for double, string, Uint8Array. */
  readonly value?: bigint | number | string | Uint8Array;
  readonly start: number;
  readonly end: number;
}

export class LexError extends Error {
  constructor(
    message: string,
    readonly start: number,
    readonly end: number,
  ) {
    super(message);
  }
}

const PUNCT2 = new Set(['==', '!=', '<=', '>=', '&&', '||']);
const PUNCT1 = new Set(['(', ')', '[', ']', '{', '}', '.', ',', ':', '?', '!', '-', '+', '*', '/', '%', '<', '>']);

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isHex(c: number): boolean {
  return isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}
function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}

export class Lexer {
  private pos = 0;

  constructor(private readonly src: string) {}

  next(): Token {
    this.skipSpaceAndComments();
    const src = this.src;
    const start = this.pos;
    if (start >= src.length) return { kind: 'eof', text: '', start, end: start };
    const c = src.charCodeAt(start);

    if (isIdentStart(c)) {
      let end = start + 1;
      while (end < src.length && isIdentPart(src.charCodeAt(end))) end++;
      const word = src.slice(start, end);
      const q = src.charCodeAt(end);
      if ((q === 34 || q === 39) && isStringPrefix(word)) {
        const lower = word.toLowerCase();
        return this.string(start, end, lower.includes('r'), lower.includes('b'));
      }
      this.pos = end;
      return { kind: 'ident', text: word, start, end };
    }
    if (c === 34 || c === 39) return this.string(start, start, false, false);
    if (c === 96) {
      let end = start + 1;
      while (end < src.length && src.charCodeAt(end) !== 96 && src.charCodeAt(end) !== 10) end++;
      if (src.charCodeAt(end) !== 96) throw new LexError('unterminated quoted field name: add the closing `', start, end);
      if (end === start + 1) throw new LexError('empty quoted field name', start, end + 1);
      this.pos = end + 1;
      return { kind: 'qident', text: src.slice(start + 1, end), start, end: end + 1 };
    }
    if (isDigit(c) || (c === 46 && isDigit(src.charCodeAt(start + 1)))) return this.number(start);

    const two = src.slice(start, start + 2);
    if (PUNCT2.has(two)) {
      this.pos = start + 2;
      return { kind: 'punct', text: two, start, end: start + 2 };
    }
    const one = src[start]!;
    if (PUNCT1.has(one)) {
      this.pos = start + 1;
      return { kind: 'punct', text: one, start, end: start + 1 };
    }
    const cp = src.codePointAt(start)!;
    const width = cp > 0xffff ? 2 : 1;
    // Operators from other languages that CEL spells differently.
    const instead = one === '=' ? "; to compare, write '=='" : one === '&' ? "; for a logical and, write '&&'" : one === '|' ? "; for a logical or, write '||'" : one === '#' ? '; comments start with //' : '';
    throw new LexError(`unexpected character '${String.fromCodePoint(cp)}'${instead}`, start, start + width);
  }

  private skipSpaceAndComments(): void {
    const src = this.src;
    for (;;) {
      const c = src.charCodeAt(this.pos);
      if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12) {
        this.pos++;
      } else if (c === 47 && src.charCodeAt(this.pos + 1) === 47) {
        const nl = src.indexOf('\n', this.pos);
        this.pos = nl < 0 ? src.length : nl + 1;
      } else {
        return;
      }
    }
  }

  private number(start: number): Token {
    const src = this.src;
    let p = start;
    if (src.charCodeAt(p) === 48 && (src[p + 1] === 'x' || src[p + 1] === 'X')) {
      p += 2;
      const digitsStart = p;
      while (isHex(src.charCodeAt(p))) p++;
      if (p === digitsStart) throw new LexError('hex literal needs at least one digit after 0x', start, p);
      const value = BigInt(src.slice(start, p));
      if (src[p] === 'u' || src[p] === 'U') {
        p++;
        return this.finishNumber({ kind: 'uint', text: src.slice(start, p), value, start, end: p });
      }
      return this.finishNumber({ kind: 'int', text: src.slice(start, p), value, start, end: p });
    }
    while (isDigit(src.charCodeAt(p))) p++;
    let isDouble = false;
    if (src.charCodeAt(p) === 46 && isDigit(src.charCodeAt(p + 1))) {
      isDouble = true;
      p++;
      while (isDigit(src.charCodeAt(p))) p++;
    }
    const e = src.charCodeAt(p);
    if (e === 101 || e === 69) {
      let q = p + 1;
      if (src[q] === '+' || src[q] === '-') q++;
      if (isDigit(src.charCodeAt(q))) {
        isDouble = true;
        p = q;
        while (isDigit(src.charCodeAt(p))) p++;
      } else {
        throw new LexError('exponent needs digits, as in 1e10 or 2.5e-3', start, q);
      }
    }
    const text = src.slice(start, p);
    if (isDouble) {
      return this.finishNumber({ kind: 'double', text, value: Number(text), start, end: p });
    }
    const value = BigInt(text);
    if (src[p] === 'u' || src[p] === 'U') {
      p++;
      return this.finishNumber({ kind: 'uint', text: src.slice(start, p), value, start, end: p });
    }
    return this.finishNumber({ kind: 'int', text, value, start, end: p });
  }

  private finishNumber(t: Token): Token {
    // `1abc` or `1.5x` is one malformed token, not a number followed by a name.
    if (isIdentPart(this.src.charCodeAt(t.end))) {
      let end = t.end;
      while (isIdentPart(this.src.charCodeAt(end))) end++;
      throw new LexError(`malformed number '${this.src.slice(t.start, end)}'`, t.start, end);
    }
    this.pos = t.end;
    return t;
  }

  private string(start: number, quoteAt: number, raw: boolean, bytes: boolean): Token {
    const src = this.src;
    const q = src[quoteAt]!;
    const triple = src.startsWith(q + q + q, quoteAt);
    const delim = triple ? q + q + q : q;
    let p = quoteAt + delim.length;
    // Decoded content: code points for strings, bytes for bytes literals.
    const out: number[] = [];
    const push = (cp: number): void => {
      if (bytes) pushUtf8(out, cp);
      else out.push(cp);
    };
    for (;;) {
      if (p >= src.length) throw new LexError('unterminated string literal: add the closing ' + delim, start, p);
      if (src.startsWith(delim, p)) break;
      const c = src.charCodeAt(p);
      if (!triple && (c === 10 || c === 13)) {
        throw new LexError('newline in a quoted string: use \\n, or a triple-quoted string', start, p);
      }
      if (c === 92 && !raw) {
        p = this.escape(p, bytes, out, push);
        continue;
      }
      const cp = src.codePointAt(p)!;
      push(cp);
      p += cp > 0xffff ? 2 : 1;
    }
    const end = p + delim.length;
    this.pos = end;
    const text = src.slice(start, end);
    if (bytes) return { kind: 'bytes', text, value: Uint8Array.from(out), start, end };
    let s = '';
    for (let i = 0; i < out.length; i += 4096) s += String.fromCodePoint(...out.slice(i, i + 4096));
    return { kind: 'string', text, value: s, start, end };
  }

  /** Decodes one escape sequence at p (a backslash); returns the offset after it. */
  private escape(p: number, bytes: boolean, out: number[], push: (cp: number) => void): number {
    const src = this.src;
    const c = src[p + 1];
    const simple: Record<string, number> = {
      a: 7,
      b: 8,
      f: 12,
      n: 10,
      r: 13,
      t: 9,
      v: 11,
      '\\': 92,
      "'": 39,
      '"': 34,
      '`': 96,
      '?': 63,
    };
    if (c !== undefined && c in simple) {
      push(simple[c]!);
      return p + 2;
    }
    if (c === 'x' || c === 'X') {
      const hex = src.slice(p + 2, p + 4);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new LexError('\\x needs two hex digits, as in \\x41', p, p + 4);
      // In strings \xHH is the code point U+00HH; in bytes it is the byte HH.
      out.push(parseInt(hex, 16));
      return p + 4;
    }
    if (c === 'u' || c === 'U') {
      const n = c === 'u' ? 4 : 8;
      const hex = src.slice(p + 2, p + 2 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) {
        throw new LexError(`\\${c} needs ${n} hex digits, as in ${c === 'u' ? '\\u00e9' : '\\U0001F600'}`, p, p + 2 + n);
      }
      if (bytes) throw new LexError(`\\${c} escapes are not allowed in bytes literals; use \\x or octal`, p, p + 2 + n);
      const cp = parseInt(hex, 16);
      if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
        throw new LexError(`\\${c}${hex} is not a valid Unicode code point`, p, p + 2 + n);
      }
      out.push(cp);
      return p + 2 + n;
    }
    if (c !== undefined && c >= '0' && c <= '3') {
      const oct = src.slice(p + 1, p + 4);
      if (!/^[0-3][0-7]{2}$/.test(oct)) throw new LexError('octal escapes need three digits, as in \\101', p, p + 4);
      out.push(parseInt(oct, 8));
      return p + 4;
    }
    if (c !== undefined && c >= '4' && c <= '7') {
      throw new LexError(`octal escape '\\${src.slice(p + 1, p + 4)}' is out of range: octal escapes go from \\000 to \\377`, p, p + 4);
    }
    // Most often a regular expression written in a quoted string ('\d+'): say how to write one.
    throw new LexError(
      `unknown escape sequence '\\${c ?? ''}'; to put a backslash in a string, double it ('\\\\${c ?? ''}') or use a raw string (r'...'), as regular expressions usually do`,
      p,
      p + 2,
    );
  }
}

function isStringPrefix(word: string): boolean {
  const w = word.toLowerCase();
  return w === 'r' || w === 'b' || w === 'rb' || w === 'br';
}

function pushUtf8(out: number[], cp: number): void {
  if (cp < 0x80) out.push(cp);
  else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
  else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
}
