// Shared by the LLM built-in tests: evaluate CEL expressions with the policy
// functions, and time functions on inputs of growing size.

import { CelEnv } from '../../src/cel/env.js';
import { CelError } from '../../src/cel/errors.js';
import { type LlmFunctionOptions, policyFunctions } from '../../src/functions/index.js';

export function envOf(opts: LlmFunctionOptions = {}): CelEnv {
  return new CelEnv({ allowUndeclared: true, functions: policyFunctions(opts) });
}

const shared = envOf();

/** The value of a CEL expression over `vars` (CEL errors are returned, not thrown). */
export function cel(expr: string, vars: Record<string, unknown> = {}, env: CelEnv = shared): unknown {
  return env.program(expr).evalResult(vars);
}

/** The message of the CEL error the expression evaluates to (fails the test when it does not fail). */
export function celError(expr: string, vars: Record<string, unknown> = {}, env: CelEnv = shared): string {
  const r = cel(expr, vars, env);
  if (!(r instanceof CelError)) throw new Error(`expected ${expr} to fail, got ${String(r)}`);
  return r.message;
}

/** Median wall time of `fn` in milliseconds over `runs` runs (after one warm-up). */
export function timeMs(fn: () => unknown, runs = 5): number {
  fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}
