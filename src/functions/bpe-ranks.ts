// The BPE vocabularies of gpt-tokenizer, read from the package's
// `data/*.tiktoken` files instead of its `bpeRanks/*.js` modules.
//
// Why: the modules are 2.4 MB (o200k) of JavaScript array literals. Compiling
// them costs the process about 70 MB of resident memory that V8 and malloc
// keep after the parse; reading the same ranks from the tiktoken text (one
// base64 token and its rank per line) costs about 30 MB, which matters for a
// daemon expected to idle under 100 MB. The result is the same array, entry
// for entry (a test compares both for every encoding shipped): a token is its
// UTF-8 text when its bytes decode and encode back unchanged, else its bytes.

import { isUtf8 } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A leading byte-order mark does not survive a decode and re-encode (TextDecoder drops it), so such tokens stay bytes. */
function isPlainUtf8(bytes: Buffer): boolean {
  return isUtf8(bytes) && !(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf);
}

/** The ranks of `encoding` (index = rank), as gpt-tokenizer's GptEncoding takes them. */
export function readBpeRanks(encoding: string): (string | number[])[] {
  const file = require.resolve(`gpt-tokenizer/data/${encoding}.tiktoken`);
  const text = readFileSync(file, 'latin1');
  const ranks: (string | number[])[] = [];
  let i = 0;
  while (i < text.length) {
    const space = text.indexOf(' ', i);
    let end = text.indexOf('\n', space);
    if (end < 0) end = text.length;
    if (space < 0 || space > end) throw new Error(`${file}: line at offset ${i} is not "<base64 token> <rank>"`);
    const bytes = Buffer.from(text.slice(i, space), 'base64');
    const rank = Number(text.slice(space + 1, end));
    if (!Number.isInteger(rank) || rank < 0) throw new Error(`${file}: bad rank at offset ${space + 1}`);
    ranks[rank] = isPlainUtf8(bytes) ? bytes.toString('utf8') : [...bytes];
    i = end + 1;
  }
  return ranks;
}
