// SourceText for a YAML scalar: the text of an expression or template plus a
// map from offsets in that (decoded) text back to the file.
//
// How exact `at(offset)` is, by scalar style:
// - plain and quoted scalars on one line: exact for every offset, escapes
//   (`\"`, `\u00e9`, `''`) included;
// - literal block scalars (`|`): exact; each line is offset by the block's indentation;
// - folded block scalars (`>`) and flow scalars that span lines: exact for every
//   character written in the file; a space or line break that YAML produced by
//   folding lines maps to the line break it replaced. (A guaranteed mapping would
//   only be "the start line"; aligning decoded and raw text does better at no risk:
//   the map is monotonic and never points outside the scalar.)
// - numbers and booleans whose CEL text differs from how they were written
//   (`0o17` → `15`): every offset maps to the start of the scalar.

import { Scalar } from 'yaml';
import type { SourceFile } from './source-file.js';
import type { SourcePos, SourceText } from './types.js';

export class YamlSourceText implements SourceText {
  readonly pos: SourcePos;
  // Private (#) fields stay out of equality checks and JSON output.
  readonly #src: SourceFile;
  readonly #offsets: Int32Array;

  constructor(
    readonly text: string,
    src: SourceFile,
    offsets: Int32Array,
  ) {
    this.#src = src;
    this.#offsets = offsets;
    this.pos = src.pos(offsets[0]);
  }

  at(offset: number): SourcePos {
    const i = Math.max(0, Math.min(Math.trunc(offset), this.text.length));
    return this.#src.pos(this.#offsets[i]);
  }

  lineText(offset: number): string {
    return this.#src.lineText(this.at(offset).line);
  }

  toJSON(): { text: string; pos: SourcePos } {
    return { text: this.text, pos: this.pos };
  }
}

/** SourceText for `text` (the CEL text of `node`'s value), mapped onto where `node` is written in `src`. */
export function scalarSourceText(src: SourceFile, node: Scalar, text: string): SourceText {
  return new YamlSourceText(text, src, scalarOffsets(src.text, node, text));
}

/** SourceText whose every offset maps to `offset` in `src` (for text that was not written as such). */
export function fixedSourceText(src: SourceFile, offset: number, text: string): SourceText {
  return new YamlSourceText(text, src, constant(text.length, offset));
}

/** For each offset 0..text.length in `text`, the offset in `source` it was written at. */
export function scalarOffsets(source: string, node: Scalar, text: string): Int32Array {
  const [start, end] = node.range ?? [0, 0, 0];
  switch (node.type) {
    case Scalar.QUOTE_DOUBLE:
      return align(text, source, start + 1, end - 1, { escapes: true, indent: 0 });
    case Scalar.QUOTE_SINGLE:
      return align(text, source, start + 1, end - 1, { escapes: false, doubledQuote: true, indent: 0 });
    case Scalar.BLOCK_LITERAL:
    case Scalar.BLOCK_FOLDED: {
      // range starts at the `|`/`>` header; the content starts on the next line.
      const nl = source.indexOf('\n', start);
      const contentStart = nl < 0 || nl >= end ? end : nl + 1;
      return align(text, source, contentStart, end, { escapes: false, indent: blockIndent(source, contentStart, end, text) });
    }
    default: {
      // Plain scalars; also numbers/booleans, whose CEL text matches the source when written canonically.
      if (typeof node.value !== 'string' && source.slice(start, end) !== text) return constant(text.length, start);
      return align(text, source, start, end, { escapes: false, indent: 0 });
    }
  }
}

interface AlignOptions {
  /** Double-quoted scalars: backslash escapes stand for one decoded character (or none, for `\` + line break). */
  readonly escapes: boolean;
  /** Single-quoted scalars: `''` stands for one quote. */
  readonly doubledQuote?: boolean;
  /** Block scalars: how many leading spaces of each line are indentation, not content. */
  readonly indent: number;
}

/**
 * Walks the decoded text and the raw source together. Equal characters are
 * matched; raw whitespace that decoding dropped (indentation, folded line
 * breaks, trailing spaces) and raw characters that decoding merged (`''`,
 * escapes) are skipped. Offsets past the raw text clamp to its end.
 */
function align(text: string, src: string, start: number, end: number, opts: AlignOptions): Int32Array {
  const map = new Int32Array(text.length + 1);
  let j = start;
  let lineStart = opts.indent > 0;
  let i = 0;
  while (i < text.length) {
    if (lineStart) {
      for (let k = 0; k < opts.indent && j < end && src[j] === ' '; k++) j++;
      lineStart = false;
    }
    if (j >= end) {
      map[i++] = end;
      continue;
    }
    const c = src[j];
    const d = text[i];
    if (opts.escapes && c === '\\') {
      const next = src[j + 1];
      if (next === '\n' || next === '\r') {
        // An escaped line break joins the lines and drops the next line's indentation.
        j += next === '\r' && src[j + 2] === '\n' ? 3 : 2;
        while (j < end && (src[j] === ' ' || src[j] === '\t')) j++;
        continue;
      }
      const rawLength = next === 'x' ? 4 : next === 'u' ? 6 : next === 'U' ? 10 : 2;
      const decodedLength = next === 'U' && parseInt(src.slice(j + 2, j + 10), 16) > 0xffff ? 2 : 1;
      for (let k = 0; k < decodedLength && i < text.length; k++) map[i++] = j;
      j += rawLength;
      continue;
    }
    if (opts.doubledQuote && c === "'") {
      map[i++] = j;
      j += 2;
      continue;
    }
    if (c === d) {
      map[i++] = j++;
      if (c === '\n') lineStart = opts.indent > 0;
      continue;
    }
    const rawSpace = c === ' ' || c === '\t' || c === '\n' || c === '\r';
    const decodedSpace = d === ' ' || d === '\n' || d === '\t';
    if (decodedSpace && (c === '\n' || c === '\r')) {
      // A folded line break: the space (or newline) stands for the raw line break.
      map[i++] = j;
      j += c === '\r' && src[j + 1] === '\n' ? 2 : 1;
      lineStart = opts.indent > 0;
      continue;
    }
    if (rawSpace || !decodedSpace) {
      j++;
      continue;
    }
    // A decoded space with no raw counterpart: point at where we are, consume nothing.
    map[i++] = j;
  }
  map[text.length] = Math.min(j, end);
  return map;
}

/**
 * The indentation of a block scalar's content: leading spaces of its first
 * non-blank raw line minus those of its first non-blank decoded line (a
 * more-indented first line keeps its extra spaces in the value).
 */
function blockIndent(src: string, start: number, end: number, text: string): number {
  const raw = /^( *)\S/m.exec(src.slice(start, end));
  const decoded = /^( *)\S/m.exec(text);
  if (!raw) return 0;
  return Math.max(0, raw[1].length - (decoded ? decoded[1].length : 0));
}

function constant(length: number, offset: number): Int32Array {
  return new Int32Array(length + 1).fill(offset);
}
