// One policy source: its name, its text and the line index that turns offsets
// into the 1-based line/column positions every diagnostic carries.

import { LineCounter } from 'yaml';
import type { SourcePos } from './types.js';

export class SourceFile {
  /** The text as parsed: a leading byte-order mark is dropped, as editors hide it too. */
  readonly text: string;
  /** Filled in by the YAML parser as it scans the text. */
  readonly lineCounter = new LineCounter();

  constructor(
    readonly file: string,
    text: string,
  ) {
    this.text = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }

  /** 1-based line and column of a character offset. */
  pos(offset: number): SourcePos {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    const { line, col } = this.lineCounter.linePos(clamped);
    return { file: this.file, line, column: col };
  }

  /** Text of a 1-based line, without its line break. */
  lineText(line: number): string {
    const starts = this.lineCounter.lineStarts;
    const start = starts[line - 1];
    if (start === undefined) return '';
    const next = starts[line];
    let end = next === undefined ? this.text.length : next - 1;
    if (end > start && this.text.charCodeAt(end - 1) === 13) end--;
    return this.text.slice(start, Math.max(start, end));
  }

  /**
   * What a diagnostic needs to point at `start..end`: the position, the caret
   * width (cut at the end of the line) and the line's text.
   */
  span(start: number, end = start + 1): Span {
    const pos = this.pos(start);
    const lineEnd = this.lineEnd(start);
    return { pos, length: Math.max(1, Math.min(end, lineEnd) - start), sourceLine: this.lineText(pos.line) };
  }

  /** Offset of the line break (or end of text) after `offset`. */
  private lineEnd(offset: number): number {
    const nl = this.text.indexOf('\n', offset);
    const end = nl < 0 ? this.text.length : nl;
    return end > offset && this.text.charCodeAt(end - 1) === 13 ? end - 1 : end;
  }
}

export interface Span {
  readonly pos: SourcePos;
  readonly length: number;
  readonly sourceLine: string;
}
