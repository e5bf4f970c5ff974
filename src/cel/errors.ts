// Errors of the CEL layer.
//
// Evaluation errors are values in CEL (`&&`, `||` and the macros absorb them).
// Internally the compiled closures *throw* a CelError and the absorbing
// operators catch it: the success path then carries no per-operation checks.
// CelError deliberately does not extend Error — no stack trace is captured, so
// throwing one costs about as much as returning.

export class CelError {
  constructor(
    readonly message: string,
    /** Offset in the expression source where the failing operation is, when known. */
    public position?: number,
  ) {}
  toString(): string {
    return this.message;
  }
}

export function isCelError(v: unknown): v is CelError {
  return v instanceof CelError;
}

export function noSuchOverload(fn: string, ...args: string[]): CelError {
  return new CelError(`no such overload: ${displayName(fn)}(${args.join(', ')})`);
}

export function noSuchKey(key: unknown): CelError {
  return new CelError(`no such key: ${typeof key === 'string' ? key : String(key)}`);
}

export function overflow(op: string): CelError {
  return new CelError(`integer overflow in ${op}`);
}

/** Operator function names as a user would write them, for messages. */
export function displayName(fn: string): string {
  switch (fn) {
    case '_+_':
      return '+';
    case '_-_':
      return '-';
    case '_*_':
      return '*';
    case '_/_':
      return '/';
    case '_%_':
      return '%';
    case '_==_':
      return '==';
    case '_!=_':
      return '!=';
    case '_<_':
      return '<';
    case '_<=_':
      return '<=';
    case '_>_':
      return '>';
    case '_>=_':
      return '>=';
    case '_&&_':
      return '&&';
    case '_||_':
      return '||';
    case '!_':
      return '!';
    case '-_':
      return 'unary -';
    case '_[_]':
      return 'index';
    case '_[?_]':
      return 'optional index';
    case '@in':
      return 'in';
    case '_?_:_':
      return '?:';
    default:
      return fn;
  }
}

/** A problem found while parsing or checking an expression, located in its source. */
export interface CelIssue {
  readonly message: string;
  /** Offsets into the expression source, end exclusive. */
  readonly start: number;
  readonly end: number;
  /** Stable code: `syntax`, `undeclared`, `no-overload`, `type-mismatch`, ... */
  readonly code: string;
}

/** Thrown by parse/compile with every issue found (parse stops at the first syntax error). */
export class CelCompileError extends Error {
  constructor(
    readonly source: string,
    readonly issues: readonly CelIssue[],
  ) {
    super(issues.map((i) => formatIssue(source, i)).join('\n'));
    this.name = 'CelCompileError';
  }
}

/** Longest source line shown in full under a message; longer lines are cut to a window around the column. */
const MAX_SHOWN = 100;
const CONTEXT_BEFORE = 40;

/** "1:5: message" followed by the source line and a caret under the offending span. */
export function formatIssue(source: string, issue: CelIssue): string {
  const { line, column, lineText } = locate(source, issue.start);
  const width = Math.max(1, Math.min(issue.end, lineStartAfter(source, issue.start)) - issue.start);
  // A 100,000-character one-line expression must not be copied into its error
  // message: show a window around the column, marked with … where cut.
  let shown = lineText;
  let col = column - 1;
  if (lineText.length > MAX_SHOWN) {
    const from = Math.max(0, Math.min(col - CONTEXT_BEFORE, lineText.length - MAX_SHOWN));
    const to = Math.min(lineText.length, from + MAX_SHOWN);
    shown = (from > 0 ? '…' : '') + lineText.slice(from, to) + (to < lineText.length ? '…' : '');
    col = col - from + (from > 0 ? 1 : 0);
  }
  // Tabs stay tabs under the caret so it lines up however wide the terminal shows them.
  const pad = shown.slice(0, col).replace(/[^\t]/g, ' ');
  const caret = pad + '^'.repeat(Math.min(width, Math.max(1, shown.length - col)));
  return `${line}:${column}: ${issue.message}\n | ${shown}\n | ${caret}`;
}

/** 1-based line and column of an offset, and the text of that line. */
export function locate(source: string, offset: number): { line: number; column: number; lineText: string } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < source.length; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  let lineEnd = source.indexOf('\n', lineStart);
  if (lineEnd < 0) lineEnd = source.length;
  return { line, column: offset - lineStart + 1, lineText: source.slice(lineStart, lineEnd) };
}

function lineStartAfter(source: string, offset: number): number {
  const nl = source.indexOf('\n', offset);
  return nl < 0 ? source.length : nl;
}
