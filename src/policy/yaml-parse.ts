// YAML (and JSON, which YAML 1.2 parses too, with positions) into document
// roots: one per `---` document, or one per element of a top-level JSON array.
// Syntax problems become diagnostics; a document with one is skipped while the
// other documents of the file still load.

import { type Document, type ErrorCode, isAlias, isScalar, isSeq, type Node, parseAllDocuments, visit } from 'yaml';
import type { DiagnosticCode } from './codes.js';
import { makeDiagnostic } from './diagnostic.js';
import type { SourceFile } from './source-file.js';
import type { Diagnostic } from './types.js';

/** One policy document as parsed: its YAML node (for positions) and its plain value. */
export interface DocumentRoot {
  readonly src: SourceFile;
  readonly doc: Document.Parsed;
  readonly node: Node;
  readonly value: unknown;
}

export interface ParseResult {
  readonly roots: DocumentRoot[];
  readonly diagnostics: Diagnostic[];
}

/**
 * Advice for the YAML mistakes policy authors make most: CEL and templates are
 * full of characters YAML gives meaning to (`: `, `!`, `&`, `*`, `{`, `'`).
 */
const YAML_HINTS: Partial<Record<ErrorCode, string>> = {
  BLOCK_AS_IMPLICIT_KEY: `a value containing ': ' must be quoted, e.g. reason: "Budget: reached"`,
  MULTILINE_IMPLICIT_KEY: `a value containing ': ' must be quoted, e.g. reason: "Budget: reached"`,
  BAD_SCALAR_START: 'quote the value: YAML gives a leading @, ` or % a meaning of its own',
  TAB_AS_INDENT: 'indent with spaces; YAML does not allow tabs for indentation',
  BAD_INDENT: 'check the indentation: keys of one mapping line up, and nested values are indented further',
  TAG_RESOLVE_FAILED: `YAML reads a leading '!' as a tag; to negate a CEL expression, quote it: when: "!(...)"`,
  BAD_DQ_ESCAPE: `in double quotes a backslash starts an escape; use single quotes for CEL text with backslashes, e.g. '\\d+'`,
};

function yamlHint(code: ErrorCode, message: string): string | undefined {
  const unclosed = /end with an? ([}\]])/.exec(message);
  if (unclosed) return `close the ${unclosed[1] === '}' ? "'{'" : "'['"} with '${unclosed[1]}' on the same line, or indent its continuation lines`;
  return YAML_HINTS[code];
}

/** Aliases may be used, but not to blow a small file up into a huge value (the "billion laughs"). */
const MAX_ALIAS_COUNT = 100;

export function isJsonFile(file: string): boolean {
  return /\.json$/i.test(file);
}

export function parseSource(src: SourceFile): ParseResult {
  const json = isJsonFile(src.file);
  const diagnostics: Diagnostic[] = [];
  const roots: DocumentRoot[] = [];
  const docs = parseAllDocuments(src.text, {
    lineCounter: src.lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    // YAML 1.2 core schema: `yes`, `on` and dates stay strings, as in JSON.
    version: '1.2',
    schema: 'core',
  });

  for (const doc of docs) {
    for (const w of doc.warnings) {
      diagnostics.push(
        makeDiagnostic({ code: 'yaml-warning', message: lowerFirst(w.message), hint: YAML_HINTS[w.code], ...src.span(w.pos[0], w.pos[1]) }),
      );
    }
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        if (e.code === 'DUPLICATE_KEY') {
          // The parser marks the key's first character; underline and name the whole key.
          const key = /^("[^"\n]*"|'[^'\n]*'|[^\s:,{}[\]]+)/.exec(src.text.slice(e.pos[0]))?.[0] ?? '';
          diagnostics.push(
            makeDiagnostic({
              code: 'duplicate-key',
              message: `duplicate key${key === '' ? '' : ` '${key.replace(/^["']|["']$/g, '')}'`}: a mapping cannot have the same key twice`,
              hint: 'remove or rename one of them; YAML would otherwise silently keep only one',
              ...src.span(e.pos[0], e.pos[0] + Math.max(1, key.length)),
            }),
          );
          continue;
        }
        const code: DiagnosticCode = json ? 'json-syntax' : 'yaml-syntax';
        const hint = json ? undefined : yamlHint(e.code, e.message);
        diagnostics.push(makeDiagnostic({ code, message: lowerFirst(e.message), hint, ...src.span(e.pos[0], e.pos[1]) }));
      }
      continue;
    }
    const node = doc.contents;
    if (node === null || isEmpty(doc)) continue;
    if (!checkAliases(src, doc, diagnostics)) continue;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      const message = /excessive alias count/i.test(reason)
        ? 'the aliases in this document expand to too large a value (a guard against "billion laughs" files)'
        : lowerFirst(reason);
      diagnostics.push(
        makeDiagnostic({ code: 'yaml-alias', message, hint: 'write the repeated values out, or use fewer aliases', ...src.span(node.range[0]) }),
      );
      continue;
    }
    if (json && isSeq(node) && Array.isArray(value)) {
      node.items.forEach((item, i) => {
        if (item && typeof item === 'object' && 'range' in item) roots.push({ src, doc, node: item as Node, value: value[i] });
      });
    } else {
      roots.push({ src, doc, node, value });
    }
  }

  if (roots.length === 0 && diagnostics.length === 0 && docs.every(isEmpty)) {
    diagnostics.push(
      makeDiagnostic({
        code: 'empty-file',
        message: 'the file holds no documents',
        hint: 'add a Policy, PolicySet or PolicyTest document, or delete the file',
        ...src.span(0),
      }),
    );
  }
  return { roots, diagnostics };
}

/** A document of only comments (or nothing) between `---` lines: the parser gives it a null scalar. */
function isEmpty(doc: Document.Parsed): boolean {
  return doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null);
}

/** Reports aliases to anchors that do not exist; the parser leaves them for toJS to throw on, without a position. */
function checkAliases(src: SourceFile, doc: Document.Parsed, diagnostics: Diagnostic[]): boolean {
  let ok = true;
  visit(doc, {
    Alias(_key, alias) {
      if (alias.resolve(doc) === undefined) {
        ok = false;
        const [start, end] = alias.range ?? [0, 1];
        diagnostics.push(
          makeDiagnostic({
            code: 'yaml-alias',
            message: `alias *${alias.source} refers to no anchor`,
            hint: `define &${alias.source} on a value before this alias`,
            ...src.span(start, end),
          }),
        );
      }
    },
  });
  return ok;
}

/** Collections inside a document that are aliases (`*name`) stand for the anchored node. */
export function resolveAlias(doc: Document.Parsed, node: unknown): unknown {
  let n = node;
  for (let hops = 0; isAlias(n) && hops < MAX_ALIAS_COUNT; hops++) n = n.resolve(doc);
  return n;
}

function lowerFirst(s: string): string {
  return s.length > 0 ? s[0].toLowerCase() + s.slice(1) : s;
}
