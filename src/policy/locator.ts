// Finds where a value of a document is written, by its path (`['spec', 'rules', 0, 'when']`):
// the link between plain values (what ajv and the builders see) and YAML nodes
// (which know their line and column).

import { isMap, isPair, isScalar, isSeq, type Node, type Pair, type Scalar } from 'yaml';
import type { Span } from './source-file.js';
import { fixedSourceText, scalarSourceText } from './source-text.js';
import type { SourcePos, SourceText } from './types.js';
import { type DocumentRoot, resolveAlias } from './yaml-parse.js';

export type Path = readonly (string | number)[];

interface Found {
  /** The value node at the path, or the deepest ancestor that exists. */
  readonly node: Node;
  /** The pair holding it, when its parent is a mapping. */
  readonly pair?: Pair;
  /** false when the path went further than the document. */
  readonly exact: boolean;
}

export class Locator {
  constructor(readonly root: DocumentRoot) {}

  get file(): string {
    return this.root.src.file;
  }

  /** Where the value at `path` is written (the nearest existing ancestor if it is absent). */
  valueSpan(path: Path): Span {
    const { node } = this.find(path);
    const [start, end] = node.range ?? [0, 1];
    // A collection is underlined by its first character only; a scalar fully (up to the end of its line).
    return this.root.src.span(start, isScalar(node) ? end : start + 1);
  }

  /** Where the key of the value at `path` is written; for list items and the root, the value itself. */
  keySpan(path: Path): Span {
    const found = this.find(path);
    const key = found.exact ? found.pair?.key : undefined;
    if (key && typeof key === 'object' && 'range' in key) {
      const [start, end] = (key as Node).range ?? [0, 1];
      return this.root.src.span(start, end);
    }
    return this.valueSpan(path);
  }

  pos(path: Path): SourcePos {
    return this.valueSpan(path).pos;
  }

  /** SourceText for the scalar at `path`, whose CEL text is `text`. */
  sourceText(path: Path, text: string): SourceText {
    const { node } = this.find(path);
    if (isScalar(node)) return scalarSourceText(this.root.src, node as Scalar, text);
    // The schema only lets scalars through to here; kept total so a caller's mistake cannot throw.
    return fixedSourceText(this.root.src, node.range?.[0] ?? 0, text);
  }

  /** The raw text of the scalar at `path`, as written in the file. */
  rawText(path: Path): string | undefined {
    const { node, exact } = this.find(path);
    if (!exact || !isScalar(node) || !node.range) return undefined;
    return this.root.src.text.slice(node.range[0], node.range[1]);
  }

  private find(path: Path): Found {
    const doc = this.root.doc;
    let node: Node = this.root.node;
    let pair: Pair | undefined;
    for (const segment of path) {
      const current = resolveAlias(doc, node);
      let next: unknown;
      pair = undefined;
      if (isMap(current)) {
        const key = String(segment);
        pair = current.items.find((p) => isPair(p) && keyString(p.key) === key);
        next = pair?.value;
      } else if (isSeq(current) && typeof segment === 'number') {
        next = current.items[segment];
      }
      next = resolveAlias(doc, next);
      if (!next || typeof next !== 'object' || !('range' in next)) {
        // A key without a value (`when:`) is a null scalar in the yaml package, so this is a missing key.
        return { node: current as Node, exact: false };
      }
      node = next as Node;
    }
    return pair ? { node, pair, exact: true } : { node, exact: true };
  }
}

/** Plain values use JSON keys, which are strings; so compare YAML keys as strings too. */
function keyString(key: unknown): string {
  if (isScalar(key)) return String(key.value);
  return String(key);
}
