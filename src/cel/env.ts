// A CEL environment: declared variables, the function library and the
// language options, with one call that parses, checks and compiles.

import { Activation } from './activation.js';
import type { Expr } from './ast.js';
import { type CheckResult, check } from './checker.js';
import { type CompileSettings, SlotAllocator, compileChecked } from './compiler/compile.js';
import type { Evaluator } from './compiler/dispatch.js';
import { CelCompileError, CelError, type CelIssue } from './errors.js';
import { coreLibrary } from './library/core.js';
import { extensionLibraries } from './library/extensions.js';
import { optionalLibrary } from './library/optional.js';
import { type FunctionDecl, FunctionRegistry } from './library/overload.js';
import { type ParseOptions, parse } from './parser.js';
import type { Type } from './types.js';
import type { CelTimestamp } from './values.js';

export interface EnvOptions {
  /** int/uint op double computes in double (default true; false = strict CEL). */
  readonly numericPromotion?: boolean;
  /** Variables and their types. Names may be dotted. */
  readonly variables?: ReadonlyMap<string, Type> | Readonly<Record<string, Type>>;
  /** Extra functions (LLM built-ins, user functions). */
  readonly functions?: readonly FunctionDecl[];
  /** Undeclared names become dyn variables read at run time instead of compile errors. */
  readonly allowUndeclared?: boolean;
  /**
   * A declared variable missing from the context: `error` (standard CEL, the default) or
   * `empty` — it reads as an empty map, so `has(team.budget)` is false when there is no team.
   */
  readonly absentVariables?: 'error' | 'empty';
  readonly parse?: ParseOptions;
}

export interface CompiledExpression {
  readonly source: string;
  readonly ast: Expr;
  readonly checked: CheckResult;
  readonly type: Type;
  readonly evaluator: Evaluator;
  readonly deterministic: boolean;
  /** Key offset of this expression's nodes in Activation.trace (traced compiles). */
  readonly traceBase: number;
}

export interface CompileRequest {
  /** Slots shared with other expressions of the same unit (policy); a fresh allocator if absent. */
  readonly slots?: SlotAllocator;
  /** Variables visible to this expression only (let bindings), on top of the environment's. */
  readonly extraVariables?: ReadonlyMap<string, Type>;
  readonly traced?: boolean;
  /** Report type errors (default true). When false, only syntax errors fail compilation. */
  readonly checkTypes?: boolean;
}

export class CelEnv {
  readonly functions: FunctionRegistry;
  readonly variables: Map<string, Type>;
  readonly numericPromotion: boolean;
  readonly allowUndeclared: boolean;
  readonly absentVariables: 'error' | 'empty';
  private readonly parseOptions: ParseOptions;

  constructor(options: EnvOptions = {}) {
    this.numericPromotion = options.numericPromotion ?? true;
    this.allowUndeclared = options.allowUndeclared ?? false;
    this.absentVariables = options.absentVariables ?? 'error';
    this.parseOptions = options.parse ?? {};
    this.functions = new FunctionRegistry().add(
      ...coreLibrary({ numericPromotion: this.numericPromotion }),
      ...optionalLibrary(),
      ...extensionLibraries(),
      ...(options.functions ?? []),
    );
    const vars = options.variables;
    this.variables = new Map(vars instanceof Map ? vars : Object.entries(vars ?? {}));
  }

  /** Parses, checks and compiles; throws CelCompileError listing every problem. */
  compile(source: string, req: CompileRequest = {}): CompiledExpression {
    const parsed = parse(source, this.parseOptions);
    let variables: ReadonlyMap<string, Type> = this.variables;
    if (req.extraVariables?.size) variables = new Map([...this.variables, ...req.extraVariables]);
    let checked: CheckResult;
    let out: ReturnType<typeof compileChecked>;
    try {
      checked = check(parsed.expr, { variables, functions: this.functions, allowUndeclared: this.allowUndeclared });
      const settings: CompileSettings = {
        functions: this.functions,
        numericPromotion: this.numericPromotion,
        traced: req.traced ?? false,
        absentVariablesAsEmpty: this.absentVariables === 'empty',
      };
      out = compileChecked(parsed.expr, checked, req.slots ?? new SlotAllocator(), settings);
    } catch (e) {
      // The parser bounds nesting, so this is a safety net (a tiny stack): a clean error, not a crash.
      if (e instanceof RangeError) {
        throw new CelCompileError(source, [{ code: 'too-deep', message: 'expression nests too deeply to compile; simplify it', start: 0, end: 0 }]);
      }
      throw e;
    }
    const issues = req.checkTypes === false ? [...out.issues] : orderIssues([...checked.issues, ...out.issues]);
    if (issues.length) throw new CelCompileError(source, issues);
    return {
      source,
      ast: parsed.expr,
      checked,
      type: checked.type,
      evaluator: out.evaluator,
      deterministic: out.deterministic,
      traceBase: out.traceBase,
    };
  }

  /** Compiles a standalone expression into a function of the variables. */
  program(source: string, req: Omit<CompileRequest, 'slots'> = {}): Program {
    const slots = new SlotAllocator();
    const compiled = this.compile(source, { ...req, slots });
    return new Program(compiled, slots);
  }
}

/**
 * Issues in source order, each reported once: the checker and the compiler can
 * both reject the same node (message construction), and a call's arguments are
 * checked before the call itself.
 */
function orderIssues(issues: CelIssue[]): CelIssue[] {
  const seen = new Set<string>();
  const unique = issues.filter((i) => {
    const key = `${i.code}:${i.start}:${i.end}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique.sort((a, b) => a.start - b.start);
}

/** A compiled standalone expression. */
export class Program {
  constructor(
    readonly compiled: CompiledExpression,
    private readonly slots: SlotAllocator,
  ) {}

  /** Evaluates; CEL errors are thrown as CelError. */
  eval(vars: Readonly<Record<string, unknown>> = {}, now?: CelTimestamp): unknown {
    const a = this.slots.newActivation(vars, now);
    return this.compiled.evaluator(a);
  }

  /** Evaluates, returning a CelError instead of throwing one. */
  evalResult(vars: Readonly<Record<string, unknown>> = {}, now?: CelTimestamp): unknown {
    try {
      return this.eval(vars, now);
    } catch (e) {
      if (e instanceof CelError) return e;
      throw e;
    }
  }

  newActivation(vars: Readonly<Record<string, unknown>>): Activation {
    return this.slots.newActivation(vars);
  }
}
