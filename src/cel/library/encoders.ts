// The cel-go "encoders" extension: base64.encode(bytes) -> string and
// base64.decode(string) -> bytes, with the standard alphabet (RFC 4648 §4).
// Our own codec rather than Buffer: Buffer's decoder silently skips invalid
// characters, where a policy should see an error.

import { CelError } from '../errors.js';
import { T } from '../types.js';
import { type FunctionDecl, globalOverload as g } from './overload.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

export function base64Encode(b: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = b.length - i;
  if (rest === 1) {
    const n = b[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + '=';
  }
  return out;
}

/**
 * Decodes padded base64, or unpadded when the padding is simply missing (cel-go
 * retries with Go's RawStdEncoding). Line breaks are ignored, as Go's decoder
 * does; any other character outside the alphabet is an error.
 */
export function base64Decode(s: string): Uint8Array {
  const text = s.replace(/[\r\n]/g, '');
  let body = text;
  if (text.length % 4 === 0 && text.endsWith('=')) body = text.slice(0, text.endsWith('==') ? -2 : -1);
  if (body.length % 4 === 1) throw new CelError('base64.decode: invalid base64 length');
  const out = new Uint8Array(Math.floor((body.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    const v = c < 128 ? DECODE[c]! : -1;
    if (v < 0) throw new CelError(`base64.decode: illegal base64 data at input byte ${i}`);
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

export function encodersLibrary(): FunctionDecl[] {
  return [
    { name: 'base64.encode', overloads: [g('base64_encode_bytes', [T.bytes], T.string, base64Encode)] },
    { name: 'base64.decode', overloads: [g('base64_decode_string', [T.string], T.bytes, base64Decode)] },
  ];
}
