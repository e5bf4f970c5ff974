// A recursive-descent parser for CEL, with macro expansion.
//
// Why our own parser rather than a library's: CEL's optional syntax (`a.?b`,
// `m[?k]`, `[?x]`, `{?k: v}`) and the two-variable comprehension macros are
// part of the conformance suite, error messages must point at the exact column
// inside a YAML file with a fix, and the policy engine must not pull protobuf
// into its runtime. The grammar is small (CEL spec, langdef.md "Syntax").
//
// Untrusted input: nesting depth and source length are bounded, so a hostile
// expression fails with a message instead of exhausting the stack.

import type {
  Expr,
  Literal,
  MacroName,
  MapEntry,
  StructField,
} from './ast.js';
import { blockSlotName, forEachChild } from './ast.js';
import { CelCompileError, type CelIssue } from './errors.js';
import { LexError, Lexer, type Token } from './lexer.js';
import { CelUint, MAX_INT, MAX_UINT, MIN_INT } from './values.js';

export interface ParseOptions {
  /** Expand has/all/exists/... (default true). Conformance tests can turn it off. */
  readonly macros?: boolean;
  /** Deepest nesting of sub-expressions accepted (default 250). */
  readonly maxDepth?: number;
  /** Longest source accepted, in characters (default 100,000). */
  readonly maxLength?: number;
}

export interface ParsedExpr {
  readonly source: string;
  readonly expr: Expr;
  /** Number of node ids handed out (ids are 1..maxId). */
  readonly maxId: number;
}

const RESERVED = new Set([
  'as',
  'break',
  'const',
  'continue',
  'else',
  'for',
  'function',
  'if',
  'import',
  'let',
  'loop',
  'package',
  'namespace',
  'return',
  'var',
  'void',
  'while',
]);

const RELOPS = new Map([
  ['<', '_<_'],
  ['<=', '_<=_'],
  ['>', '_>_'],
  ['>=', '_>=_'],
  ['==', '_==_'],
  ['!=', '_!=_'],
]);

class SyntaxError_ {
  constructor(readonly issue: CelIssue) {}
}

/** Parses a CEL expression; throws CelCompileError with the first syntax error. */
export function parse(source: string, options: ParseOptions = {}): ParsedExpr {
  const maxLength = options.maxLength ?? 100_000;
  if (source.length > maxLength) {
    throw new CelCompileError(source, [
      {
        code: 'too-long',
        message: `expression is ${source.length} characters long; the limit is ${maxLength}. Split it with 'let' bindings`,
        start: 0,
        end: 0,
      },
    ]);
  }
  try {
    // Constructing the parser runs the lexer: it must be inside the try, or a
    // lexical error (unterminated string, bad escape) escapes as a bare LexError
    // instead of a CelCompileError with a position.
    const p = new Parser(source, options);
    const expr = p.parseAll();
    return { source, expr, maxId: p.lastId };
  } catch (e) {
    if (e instanceof SyntaxError_) throw new CelCompileError(source, [e.issue]);
    if (e instanceof LexError) {
      throw new CelCompileError(source, [{ code: 'syntax', message: e.message, start: e.start, end: e.end }]);
    }
    if (e instanceof RangeError) {
      // Stack exhaustion despite the depth limit (tiny stacks): still a clean error.
      throw new CelCompileError(source, [
        { code: 'too-deep', message: 'expression nests too deeply to parse', start: 0, end: 0 },
      ]);
    }
    throw e;
  }
}

class Parser {
  private readonly tokens: Token[] = [];
  private i = 0;
  /**
   * Nesting level of the expression being parsed: the whole expression is level 0,
   * and each enclosing (...), [...], {...}, call, index or conditional adds one.
   * Every recursion of this parser goes through expr(), so bounding this bounds
   * the parser's stack; the AST's own height is bounded separately (checkHeight).
   */
  private depth = -1;
  lastId = 0;
  private readonly macros: boolean;
  private readonly maxDepth: number;

  constructor(
    private readonly src: string,
    options: ParseOptions,
  ) {
    this.macros = options.macros ?? true;
    this.maxDepth = options.maxDepth ?? 250;
    const lx = new Lexer(src);
    for (;;) {
      const t = lx.next();
      this.tokens.push(t);
      if (t.kind === 'eof') break;
    }
  }

  parseAll(): Expr {
    const e = this.expr();
    const t = this.peek();
    if (t.kind !== 'eof') {
      if (t.kind === 'double' && t.text.startsWith('.')) {
        // `a.1` or `1.5.3`: the lexer read `.1` as a number.
        this.fail(t, `unexpected '${t.text}': a field name cannot start with a digit; to index a list, write [${t.text.slice(1)}]`);
      }
      this.fail(t, `unexpected ${describe(t)} after a complete expression; is an operator missing?`);
    }
    this.checkHeight(e);
    return e;
  }

  /**
   * Operator chains (`a + b + c ...`, `!!!x`, `-(-(-x))`) and member chains
   * (`x.a.b.c ...`, `l[0][0] ...`) are parsed by loops, so they are not bounded by
   * the nesting level, but they build trees the checker, compiler and evaluator
   * recurse over. Deeper than maxDepth, the expression is rejected here, with a
   * position, instead of overflowing the stack later. Iterative on purpose.
   */
  private checkHeight(root: Expr): void {
    const stack: [Expr, number][] = [[root, 0]];
    while (stack.length > 0) {
      const [e, d] = stack.pop()!;
      if (d > this.maxDepth) {
        const at = e.kind === 'call' ? e.pos : e.kind === 'select' && e.fieldStart !== undefined ? e.fieldStart : e.start;
        this.fail({ start: at, end: at + 1 }, this.tooDeepMessage(), 'too-deep');
      }
      forEachChild(e, (c) => stack.push([c, d + 1]));
    }
  }

  private tooDeepMessage(): string {
    return `expression nests deeper than ${this.maxDepth} levels; simplify it or split it with 'let' bindings`;
  }

  // ---- token helpers -----------------------------------------------------

  private peek(k = 0): Token {
    return this.tokens[Math.min(this.i + k, this.tokens.length - 1)]!;
  }

  private advance(): Token {
    const t = this.tokens[this.i]!;
    if (t.kind !== 'eof') this.i++;
    return t;
  }

  private isPunct(text: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'punct' && t.text === text;
  }

  private isWord(text: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'ident' && t.text === text;
  }

  private expect(text: string, context: string): Token {
    const t = this.peek();
    if (t.kind === 'punct' && t.text === text) return this.advance();
    return this.fail(t, `expected '${text}' ${context}, found ${describe(t)}`);
  }

  private fail(t: Token | { start: number; end: number }, message: string, code = 'syntax'): never {
    throw new SyntaxError_({ code, message, start: t.start, end: Math.max(t.end, t.start + 1) });
  }

  private id(): number {
    return ++this.lastId;
  }

  private enter(t: Token): void {
    if (++this.depth > this.maxDepth) this.fail(t, this.tooDeepMessage(), 'too-deep');
  }

  private leave(): void {
    this.depth--;
  }

  // ---- grammar -------------------------------------------------------------

  private expr(): Expr {
    const first = this.peek();
    this.enter(first);
    const cond = this.conditionalOr();
    if (this.isPunct('?')) {
      const q = this.advance();
      const a = this.conditionalOr();
      this.expect(':', "in a conditional 'c ? a : b'");
      const b = this.expr();
      this.leave();
      return this.call(q.start, cond.start, b.end, '_?_:_', undefined, [cond, a, b]);
    }
    this.leave();
    return cond;
  }

  private conditionalOr(): Expr {
    return this.logical('||', '_||_', () => this.conditionalAnd());
  }

  private conditionalAnd(): Expr {
    return this.logical('&&', '_&&_', () => this.relation());
  }

  /**
   * Parses a chain of `&&` or `||` and builds a balanced tree: the operators are
   * commutative in CEL (errors included), and a balanced tree keeps a 10,000-term
   * chain from turning into 10,000 levels of recursion downstream.
   */
  private logical(op: string, fn: string, operand: () => Expr): Expr {
    const first = operand();
    if (!this.isPunct(op)) return first;
    const terms = [first];
    const ops: Token[] = [];
    while (this.isPunct(op)) {
      ops.push(this.advance());
      terms.push(operand());
    }
    const build = (lo: number, hi: number): Expr => {
      if (lo === hi) return terms[lo]!;
      const mid = (lo + hi + 1) >> 1;
      const l = build(lo, mid - 1);
      const r = build(mid, hi);
      return this.call(ops[mid - 1]!.start, l.start, r.end, fn, undefined, [l, r]);
    };
    return build(0, terms.length - 1);
  }

  private relation(): Expr {
    let left = this.addition();
    for (;;) {
      const t = this.peek();
      let fn: string | undefined;
      if (t.kind === 'punct') fn = RELOPS.get(t.text);
      else if (t.kind === 'ident' && t.text === 'in') fn = '@in';
      if (!fn) return left;
      this.advance();
      const right = this.addition();
      left = this.call(t.start, left.start, right.end, fn, undefined, [left, right]);
    }
  }

  private addition(): Expr {
    let left = this.multiplication();
    while (this.isPunct('+') || this.isPunct('-')) {
      const t = this.advance();
      const right = this.multiplication();
      left = this.call(t.start, left.start, right.end, t.text === '+' ? '_+_' : '_-_', undefined, [left, right]);
    }
    return left;
  }

  private multiplication(): Expr {
    let left = this.unary();
    while (this.isPunct('*') || this.isPunct('/') || this.isPunct('%')) {
      const t = this.advance();
      const right = this.unary();
      const fn = t.text === '*' ? '_*_' : t.text === '/' ? '_/_' : '_%_';
      left = this.call(t.start, left.start, right.end, fn, undefined, [left, right]);
    }
    return left;
  }

  private unary(): Expr {
    const t = this.peek();
    if (t.kind === 'punct' && (t.text === '!' || t.text === '-')) {
      const ops: Token[] = [];
      while (this.isPunct(t.text)) ops.push(this.advance());
      // A minus directly before a number literal belongs to the literal, so that
      // -9223372036854775808 is representable (grammar: `literal: MINUS? NUM_INT`).
      let foldMinus = false;
      if (t.text === '-') {
        const n = this.peek();
        if (n.kind === 'int' || n.kind === 'double') foldMinus = true;
      }
      let e = this.member(foldMinus ? ops[ops.length - 1]! : undefined);
      const remaining = foldMinus && e.kind === 'const' ? ops.length - 1 : ops.length;
      for (let k = remaining - 1; k >= 0; k--) {
        const op = ops[k]!;
        e = this.call(op.start, op.start, e.end, t.text === '!' ? '!_' : '-_', undefined, [e]);
      }
      return e;
    }
    return this.member(undefined);
  }

  private member(minus: Token | undefined): Expr {
    let e = this.primary(minus);
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'punct') return e;
      if (t.text === '.') {
        this.advance();
        let optional = false;
        if (this.isPunct('?')) {
          this.advance();
          optional = true;
        }
        const name = this.peek();
        if (name.kind !== 'ident' && name.kind !== 'qident') this.fail(name, `expected a field or method name after '.', found ${describe(name)}`);
        this.advance();
        if (!optional && name.kind === 'ident' && this.isPunct('(')) {
          const open = this.advance();
          const args = this.exprList(')');
          const close = this.expect(')', `to close the call of ${name.text}() opened at column ${open.start + 1}`);
          e = this.memberCall(e, name, args, close.end);
        } else {
          // The range starts at the operand so diagnostics underline all of `a.b.c`.
          e = { kind: 'select', id: this.id(), start: e.start, end: name.end, fieldStart: name.kind === 'qident' ? name.start + 1 : name.start, operand: e, field: name.text, testOnly: false, optional };
        }
        continue;
      }
      if (t.text === '[') {
        const open = this.advance();
        let optional = false;
        if (this.isPunct('?')) {
          this.advance();
          optional = true;
        }
        const index = this.expr();
        const close = this.expect(']', `to close the index opened at column ${open.start + 1}`);
        e = this.call(open.start, e.start, close.end, optional ? '_[?_]' : '_[_]', undefined, [e, index]);
        continue;
      }
      if (t.text === '{' && isQualifiedName(e)) {
        e = this.struct(qualifiedName(e), e.start);
        continue;
      }
      return e;
    }
  }

  private primary(minus: Token | undefined): Expr {
    const t = this.peek();
    switch (t.kind) {
      case 'int': {
        this.advance();
        let v = t.value as bigint;
        let start = t.start;
        if (minus) {
          v = -v;
          start = minus.start;
        }
        if (v > MAX_INT || v < MIN_INT) {
          this.fail({ start, end: t.end }, `integer literal ${minus ? '-' : ''}${t.text} is out of the int64 range; use a uint (${t.text}u) or a double (${t.text}.0)`);
        }
        return this.constant(start, t.end, v);
      }
      case 'uint': {
        this.advance();
        const v = t.value as bigint;
        if (v > MAX_UINT) this.fail(t, `unsigned literal ${t.text} is out of the uint64 range`);
        return this.constant(t.start, t.end, new CelUint(v));
      }
      case 'double': {
        this.advance();
        const v = t.value as number;
        return this.constant(minus ? minus.start : t.start, t.end, minus ? -v : v);
      }
      case 'string':
      case 'bytes':
        this.advance();
        return this.constant(t.start, t.end, t.value as string | Uint8Array);
      case 'ident':
        return this.identOrCall(false);
      case 'eof':
        return this.fail(t, 'expected an expression, found the end of the expression');
      case 'punct':
        break;
    }
    switch (t.text) {
      case '.': {
        const next = this.peek(1);
        if (next.kind !== 'ident') this.fail(next, `expected a name after the leading '.', found ${describe(next)}`);
        this.advance();
        return this.identOrCall(true, t.start);
      }
      case '(': {
        this.advance();
        const e = this.expr();
        this.expect(')', `to close the '(' at column ${t.start + 1}`);
        return e;
      }
      case '[': {
        this.advance();
        const elements: Expr[] = [];
        const optionalIndices: number[] = [];
        while (!this.isPunct(']')) {
          if (this.isPunct('?')) {
            this.advance();
            optionalIndices.push(elements.length);
          }
          elements.push(this.expr());
          if (!this.isPunct(',')) break;
          this.advance();
        }
        const close = this.expect(']', `to close the list opened at column ${t.start + 1}`);
        return { kind: 'list', id: this.id(), start: t.start, end: close.end, elements, optionalIndices };
      }
      case '{': {
        this.advance();
        const entries: MapEntry[] = [];
        while (!this.isPunct('}')) {
          const entryStart = this.peek().start;
          let optional = false;
          if (this.isPunct('?')) {
            this.advance();
            optional = true;
          }
          const key = this.expr();
          this.expect(':', 'between a map key and its value');
          const value = this.expr();
          entries.push({ key, value, optional, start: entryStart });
          if (!this.isPunct(',')) break;
          this.advance();
        }
        const close = this.expect('}', `to close the map opened at column ${t.start + 1}`);
        return { kind: 'map', id: this.id(), start: t.start, end: close.end, entries };
      }
      default:
        return this.fail(t, `expected an expression, found ${describe(t)}`);
    }
  }

  private identOrCall(leadingDot: boolean, dotStart?: number): Expr {
    const t = this.advance();
    const start = dotStart ?? t.start;
    const name = t.text;
    if (name === 'true' || name === 'false') return this.constant(start, t.end, name === 'true');
    if (name === 'null') return this.constant(start, t.end, null);
    if (name === 'in') this.fail(t, "'in' is an operator: write 'x in list'");
    if (RESERVED.has(name)) this.fail(t, `'${name}' is a reserved word and cannot be used as a name`);
    if (this.isPunct('(')) {
      const open = this.advance();
      const args = this.exprList(')');
      const close = this.expect(')', `to close the call of ${name}() opened at column ${open.start + 1}`);
      return this.globalCall(leadingDot ? '.' + name : name, start, t, args, close.end);
    }
    return { kind: 'ident', id: this.id(), start, end: t.end, name: leadingDot ? '.' + name : name };
  }

  private exprList(close: string): Expr[] {
    const out: Expr[] = [];
    while (!this.isPunct(close)) {
      out.push(this.expr());
      if (!this.isPunct(',')) break;
      this.advance();
    }
    return out;
  }

  private struct(typeName: string, start: number): Expr {
    const open = this.advance();
    const fields: StructField[] = [];
    while (!this.isPunct('}')) {
      const fstart = this.peek().start;
      let optional = false;
      if (this.isPunct('?')) {
        this.advance();
        optional = true;
      }
      const name = this.peek();
      if (name.kind !== 'ident') this.fail(name, `expected a field name in ${typeName}{...}, found ${describe(name)}`);
      this.advance();
      this.expect(':', `after the field name '${name.text}'`);
      const value = this.expr();
      fields.push({ name: name.text, value, optional, start: fstart });
      if (!this.isPunct(',')) break;
      this.advance();
    }
    const close = this.expect('}', `to close ${typeName}{ opened at column ${open.start + 1}`);
    return { kind: 'struct', id: this.id(), start, end: close.end, typeName, fields };
  }

  // ---- calls and macros ------------------------------------------------------

  private constant(start: number, end: number, value: Literal): Expr {
    return { kind: 'const', id: this.id(), start, end, value };
  }

  private call(pos: number, start: number, end: number, fn: string, target: Expr | undefined, args: Expr[]): Expr {
    return { kind: 'call', id: this.id(), start, end, pos, fn, target, args };
  }

  private globalCall(name: string, start: number, nameTok: Token, args: Expr[], end: number): Expr {
    if (this.macros && name === 'has') {
      const arg = args[0];
      if (args.length !== 1 || !arg || arg.kind !== 'select' || arg.optional) {
        this.fail(nameTok, 'has() takes one field selection, as in has(request.user.email)');
      }
      return { ...arg, id: this.id(), start, end, testOnly: true };
    }
    return { kind: 'call', id: this.id(), start, end, pos: nameTok.start, fn: name, target: undefined, args };
  }

  private memberCall(target: Expr, nameTok: Token, args: Expr[], end: number): Expr {
    const name = nameTok.text;
    const start = target.start;
    if (this.macros) {
      const macro = this.expandMacro(target, nameTok, args, start, end);
      if (macro) return macro;
    }
    return { kind: 'call', id: this.id(), start, end, pos: nameTok.start, fn: name, target, args };
  }

  private expandMacro(target: Expr, nameTok: Token, args: Expr[], start: number, end: number): Expr | undefined {
    const name = nameTok.text;
    // cel.bind / cel.block / cel.index / cel.iterVar: the `cel.` namespace.
    if (target.kind === 'ident' && target.name === 'cel') {
      switch (name) {
        case 'bind': {
          if (args.length !== 3) this.fail(nameTok, 'cel.bind() takes three arguments: cel.bind(name, value, expression)');
          const v = this.varName(args[0]!, 'cel.bind');
          return { kind: 'bind', id: this.id(), start, end, name: v, init: args[1]!, body: args[2]! };
        }
        case 'block': {
          const list = args[0];
          if (args.length !== 2 || !list || list.kind !== 'list') {
            this.fail(nameTok, 'cel.block() takes a list of expressions and a result');
          }
          return { kind: 'block', id: this.id(), start, end, slots: list.elements, result: args[1]! };
        }
        case 'index': {
          const n = args[0];
          if (args.length !== 1 || !n || n.kind !== 'const' || typeof n.value !== 'bigint') {
            this.fail(nameTok, 'cel.index() takes one int literal');
          }
          return { kind: 'ident', id: this.id(), start, end, name: blockSlotName(Number(n.value)) };
        }
        case 'iterVar':
        case 'accuVar': {
          const [a, b] = args;
          if (args.length !== 2 || a?.kind !== 'const' || b?.kind !== 'const') {
            this.fail(nameTok, `cel.${name}() takes two int literals`);
          }
          return { kind: 'ident', id: this.id(), start, end, name: `@${name === 'iterVar' ? 'it' : 'ac'}:${String(a.value)}:${String(b.value)}` };
        }
      }
      return undefined;
    }
    let macro: MacroName | undefined;
    let twoVar = false;
    let withFilter = false;
    switch (name) {
      case 'all':
      case 'exists':
        macro = name;
        if (args.length === 3) twoVar = true;
        else if (args.length !== 2) return undefined;
        break;
      case 'exists_one':
      case 'existsOne':
        macro = 'exists_one';
        if (args.length === 3) twoVar = true;
        else if (args.length !== 2) return undefined;
        break;
      case 'map':
        macro = 'map';
        if (args.length === 3) withFilter = true;
        else if (args.length !== 2) return undefined;
        break;
      case 'filter':
        macro = 'filter';
        if (args.length !== 2) return undefined;
        break;
      case 'transformList':
      case 'transformMap':
      case 'transformMapEntry':
        macro = name;
        twoVar = true;
        if (args.length === 4) withFilter = true;
        else if (args.length !== 3) return undefined;
        break;
      case 'optMap':
      case 'optFlatMap': {
        if (args.length !== 2) this.fail(nameTok, `${name}() takes a variable name and an expression`);
        const v = this.varName(args[0]!, name);
        return { kind: 'optmap', id: this.id(), start, end, flat: name === 'optFlatMap', target, name: v, body: args[1]! };
      }
      default:
        return undefined;
    }
    const nvars = twoVar ? 2 : 1;
    const vars = args.slice(0, nvars).map((a) => this.varName(a, name));
    if (twoVar && vars[0] === vars[1]) {
      this.fail(args[1]!, `${name}() needs two different variable names`);
    }
    const rest = args.slice(nvars);
    const filter = withFilter ? rest[0] : undefined;
    const step = rest[rest.length - 1]!;
    return { kind: 'macro', id: this.id(), start, end, macro, range: target, vars, filter, step };
  }

  private varName(e: Expr, macro: string): string {
    if (e.kind !== 'ident' || e.name.startsWith('.')) {
      // The example matches the macro's receiver: cel.bind(x, ...), opt.optMap(x, ...), list.all(x, ...).
      const example =
        macro === 'cel.bind' ? 'cel.bind(x, value, expression)' : macro === 'optMap' || macro === 'optFlatMap' ? `opt.${macro}(x, ...)` : `list.${macro}(x, ...)`;
      this.fail(e, `the variable of ${macro}() must be a simple name, as in ${example}`);
    }
    return e.name;
  }
}

function isQualifiedName(e: Expr): boolean {
  if (e.kind === 'ident') return true;
  return e.kind === 'select' && !e.optional && !e.testOnly && isQualifiedName(e.operand);
}

function qualifiedName(e: Expr): string {
  if (e.kind === 'ident') return e.name;
  if (e.kind === 'select') return `${qualifiedName(e.operand)}.${e.field}`;
  return '';
}

function describe(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'the end of the expression';
    case 'ident':
      return `'${t.text}'`;
    case 'qident':
      return `\`${t.text}\``;
    case 'punct':
      return `'${t.text}'`;
    default:
      return `${t.kind} literal ${t.text}`;
  }
}
