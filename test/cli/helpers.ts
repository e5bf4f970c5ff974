// Shared by the CLI tests: run the real `policy-engine` binary as a user would,
// parse the diagnostics it prints, and a small strict XML parser for JUnit reports.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'bin', 'policy-engine.js');
/** Fixtures, relative to ROOT (the CLI runs with ROOT as its working directory, so printed paths are these). */
export const FIX = 'test/fixtures/cli';

export interface RunResult {
  /** The exit code (null if the process was killed, e.g. by the timeout). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Throws a clear error when the CLI has not been built (`npm test` builds first). */
export function assertBuilt(): void {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
    throw new Error('dist/cli/main.js is missing: the CLI tests run the built binary; run `npm run build` first (`npm test` does)');
  }
}

/**
 * Runs `node bin/policy-engine.js ...args` in ROOT, optionally feeding `input` on stdin.
 * Never rejects for a non-zero exit: the code is part of the result.
 */
export function run(args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, timeout: opts.timeoutMs ?? 20_000, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          // Not an exit status: spawn failure or the timeout killed it.
          if (error.killed) resolve({ code: null, stdout, stderr: `${stderr}\n[killed: ${error.signal ?? 'timeout'}]` });
          else reject(error);
          return;
        }
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(opts.input ?? '');
  });
}

/** A printed diagnostic: `file:line:col: severity[code]: message`, then optionally source, caret and hint lines. */
export interface PrintedDiagnostic {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly severity: string;
  readonly code: string;
  readonly message: string;
  /** The source line as printed after `N | `. */
  readonly source?: string;
  /** 1-based column of the first caret, counted in the source line. */
  readonly caretColumn?: number;
  readonly caretWidth?: number;
  readonly hint?: string;
}

const HEADER = /^(\S.*?):(\d+):(\d+): (error|warning)\[([a-z0-9-]+)\]: (.*)$/;

/** Parses the diagnostics `formatDiagnostic` printed (blank-line separated; leading indentation allowed). */
export function parseDiagnostics(text: string): PrintedDiagnostic[] {
  const out: PrintedDiagnostic[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const indent = /^ */.exec(lines[i]!)![0].length;
    const m = HEADER.exec(lines[i]!.slice(indent));
    if (!m) continue;
    const d: { -readonly [K in keyof PrintedDiagnostic]: PrintedDiagnostic[K] } = {
      file: m[1]!,
      line: Number(m[2]),
      column: Number(m[3]),
      severity: m[4]!,
      code: m[5]!,
      message: m[6]!,
    };
    const body = (j: number): string | undefined => (lines[j]?.startsWith(' '.repeat(indent)) ? lines[j]!.slice(indent) : undefined);
    const src = /^ {2}(\d+) \| (.*)$/.exec(body(i + 1) ?? '');
    if (src && Number(src[1]) === d.line) {
      d.source = src[2];
      const gutter = src[1]!.length;
      const caret = body(i + 2) ?? '';
      const prefix = `  ${' '.repeat(gutter)} | `;
      if (caret.startsWith(prefix)) {
        const marks = caret.slice(prefix.length);
        const first = marks.indexOf('^');
        if (first >= 0) {
          d.caretColumn = first + 1;
          d.caretWidth = /\^+/.exec(marks.slice(first))![0].length;
        }
      }
    }
    for (let j = i + 1; j < lines.length && j <= i + 4; j++) {
      const h = /^ {2}hint: (.*)$/.exec(body(j) ?? '');
      if (h) {
        d.hint = h[1];
        break;
      }
      if (HEADER.test((body(j) ?? '').trimStart())) break;
    }
    out.push(d);
  }
  return out;
}

export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  text: string;
}

/**
 * A strict parser for the XML subset JUnit reports use: a declaration, elements, attributes,
 * text and the five predefined entities (plus numeric references). Throws on anything
 * malformed — mismatched or unclosed tags, bad attributes, unknown entities, raw `<` or `&`
 * in text, control characters, trailing content — so a successful parse means well-formed.
 */
export function parseXml(xml: string): XmlElement {
  let i = 0;
  const fail = (what: string): never => {
    const line = xml.slice(0, i).split('\n').length;
    throw new Error(`invalid XML at line ${line}: ${what}`);
  };
  if (/[\x00-\x08\x0b\x0c\x0e-\x1f]/.test(xml)) fail('control character');
  const decode = (s: string): string => {
    if (/<|&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(s)) fail(`unescaped < or & in ${JSON.stringify(s.slice(0, 40))}`);
    return s.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) =>
      e === 'amp' ? '&' : e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'quot' ? '"' : e === 'apos' ? "'" : String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)),
    );
  };
  const ws = (): void => {
    while (/\s/.test(xml[i] ?? '')) i++;
  };
  const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
  const name = (): string => {
    NAME.lastIndex = i;
    const m = NAME.exec(xml);
    if (!m) return fail('expected a name');
    i += m[0].length;
    return m[0];
  };
  if (xml.startsWith('<?xml')) {
    const end = xml.indexOf('?>');
    if (end < 0) fail('unterminated declaration');
    i = end + 2;
  }
  ws();
  const element = (): XmlElement => {
    if (xml[i] !== '<') fail('expected <');
    i++;
    const el: XmlElement = { name: name(), attrs: {}, children: [], text: '' };
    const attrs = el.attrs as Record<string, string>;
    for (;;) {
      const before = i;
      ws();
      if (xml.startsWith('/>', i)) {
        i += 2;
        return el;
      }
      if (xml[i] === '>') {
        i++;
        break;
      }
      if (i === before) fail('expected whitespace before an attribute');
      const key = name();
      if (key in attrs) fail(`duplicate attribute ${key}`);
      ws();
      if (xml[i] !== '=') fail('expected =');
      i++;
      ws();
      const q = xml[i];
      if (q !== '"' && q !== "'") return fail('expected a quoted attribute value');
      const end = xml.indexOf(q, i + 1);
      if (end < 0) fail('unterminated attribute value');
      attrs[key] = decode(xml.slice(i + 1, end));
      i = end + 1;
    }
    for (;;) {
      const lt = xml.indexOf('<', i);
      if (lt < 0) fail(`unclosed <${el.name}>`);
      el.text += decode(xml.slice(i, lt));
      i = lt;
      if (xml.startsWith('</', i)) {
        i += 2;
        const closing = name();
        if (closing !== el.name) fail(`</${closing}> closes <${el.name}>`);
        ws();
        if (xml[i] !== '>') fail('expected >');
        i++;
        return el;
      }
      el.children.push(element());
    }
  };
  const root = element();
  ws();
  if (i !== xml.length) fail('content after the root element');
  return root;
}

/** Every element named `name` under `el` (depth first, `el` included). */
export function findAll(el: XmlElement, name: string): XmlElement[] {
  return [...(el.name === name ? [el] : []), ...el.children.flatMap((c) => findAll(c, name))];
}
