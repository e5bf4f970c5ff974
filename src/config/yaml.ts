// The configuration file as YAML (JSON is YAML too): one document, kept with
// its nodes so that problems can point at lines and columns. YAML 1.2 core
// schema, as for policies: `yes`/`on` stay strings, so `enabled: yes` is
// reported instead of silently meaning true.

import { type ErrorCode, isAlias, isMap, isScalar, parseAllDocuments, visit, type Document } from 'yaml';
import { describeValue } from '../policy/describe.js';
import type { SourceFile } from '../policy/source-file.js';
import type { SourcePos } from '../policy/types.js';
import type { DocumentRoot } from '../policy/yaml-parse.js';
import { makeProblem, type ConfigProblem } from './problems.js';

export interface ParsedConfigFile {
  /** The document, when it is a mapping without syntax errors. */
  readonly root?: DocumentRoot;
  /** Its plain value; {} for an empty file or one that could not be read as a mapping. */
  readonly value: Record<string, unknown>;
  readonly problems: ConfigProblem[];
}

const HINTS: Partial<Record<ErrorCode, string>> = {
  BLOCK_AS_IMPLICIT_KEY: `a value containing ': ' must be quoted, e.g. path: "C:/policies"`,
  MULTILINE_IMPLICIT_KEY: `a value containing ': ' must be quoted, e.g. path: "C:/policies"`,
  BAD_SCALAR_START: 'quote the value: YAML gives a leading @, ` or % a meaning of its own',
  TAB_AS_INDENT: 'indent with spaces; YAML does not allow tabs for indentation',
  BAD_INDENT: 'check the indentation: the keys of one section line up, indented under the section name',
  TAG_RESOLVE_FAILED: "YAML reads a leading '!' as a tag; quote the value",
  BAD_DQ_ESCAPE: 'in double quotes a backslash starts an escape; use single quotes, or write \\\\ for a backslash',
};

const MAX_ALIAS_COUNT = 100;

type At = (start: number, end?: number) => { pos: SourcePos; length: number; sourceLine: string };

export function parseConfigYaml(src: SourceFile): ParsedConfigFile {
  const problems: ConfigProblem[] = [];
  const at: At = (start, end) => {
    const span = src.span(start, end);
    return { pos: span.pos, length: span.length, sourceLine: span.sourceLine };
  };
  const docs = parseAllDocuments(src.text, { lineCounter: src.lineCounter, prettyErrors: false, uniqueKeys: true, version: '1.2', schema: 'core' });
  const nonEmpty = docs.filter((d) => !isEmpty(d));
  for (const extra of nonEmpty.slice(1)) {
    problems.push(
      makeProblem({
        code: 'invalid-document',
        path: '',
        message: 'the configuration file holds more than one YAML document',
        hint: "put every section in one document: remove the '---' line",
        ...at(extra.range[0]),
      }),
    );
  }
  const doc = nonEmpty[0];
  if (!doc) return { value: {}, problems };

  for (const w of doc.warnings) problems.push(makeProblem({ code: 'yaml-warning', path: '', message: lowerFirst(w.message), hint: HINTS[w.code], ...at(w.pos[0], w.pos[1]) }));
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      if (e.code === 'DUPLICATE_KEY') {
        const key = /^("[^"\n]*"|'[^'\n]*'|[^\s:,{}[\]]+)/.exec(src.text.slice(e.pos[0]))?.[0] ?? '';
        problems.push(
          makeProblem({
            code: 'duplicate-key',
            path: '',
            message: `duplicate key${key === '' ? '' : ` '${key.replace(/^["']|["']$/g, '')}'`}: a section cannot have the same key twice`,
            hint: 'remove or merge one of them; YAML would otherwise silently keep only one',
            ...at(e.pos[0], e.pos[0] + Math.max(1, key.length)),
          }),
        );
      } else {
        problems.push(makeProblem({ code: 'yaml-syntax', path: '', message: lowerFirst(e.message), hint: yamlHint(e.code, e.message), ...at(e.pos[0], e.pos[1]) }));
      }
    }
    return { value: {}, problems };
  }
  if (!checkAliases(doc, problems, at)) return { value: {}, problems };

  const node = doc.contents;
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    problems.push(
      makeProblem({
        code: 'yaml-alias',
        path: '',
        message: /excessive alias count/i.test(reason) ? 'the aliases in this file expand to too large a value' : lowerFirst(reason),
        hint: 'write the repeated values out, or use fewer aliases',
        ...at(node?.range[0] ?? 0),
      }),
    );
    return { value: {}, problems };
  }
  if (!node || !isMap(node) || value === null || typeof value !== 'object' || Array.isArray(value)) {
    problems.push(
      makeProblem({
        code: 'invalid-document',
        path: '',
        message: `the configuration must be a mapping of sections (server:, logging:, ...); got ${describeValue(value)}`,
        hint: Array.isArray(value) ? "remove the leading '- ': sections are keys, not list items" : 'start with a section name, e.g. server:',
        ...at(node?.range[0] ?? 0),
      }),
    );
    return { value: {}, problems };
  }
  return { root: { src, doc, node, value }, value: value as Record<string, unknown>, problems };
}

function yamlHint(code: ErrorCode, message: string): string | undefined {
  const unclosed = /end with an? ([}\]])/.exec(message);
  if (unclosed) return `close the ${unclosed[1] === '}' ? "'{'" : "'['"} with '${unclosed[1]}' on the same line, or indent its continuation lines`;
  return HINTS[code];
}

function isEmpty(doc: Document.Parsed): boolean {
  return doc.errors.length === 0 && (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null));
}

function checkAliases(doc: Document.Parsed, problems: ConfigProblem[], at: At): boolean {
  let ok = true;
  visit(doc, {
    Alias(_key, alias) {
      if (isAlias(alias) && alias.resolve(doc) === undefined) {
        ok = false;
        const [start, end] = alias.range ?? [0, 1];
        problems.push(makeProblem({ code: 'yaml-alias', path: '', message: `alias *${alias.source} refers to no anchor`, hint: `define &${alias.source} on a value before this alias`, ...at(start, end) }));
      }
    },
  });
  return ok;
}

function lowerFirst(s: string): string {
  return s.length > 0 ? s[0]!.toLowerCase() + s.slice(1) : s;
}
