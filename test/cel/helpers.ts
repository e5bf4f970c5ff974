// Shared by the CEL language tests (test/cel/*.test.ts): one environment shaped
// like a policy context, and small helpers to evaluate, to catch the run-time
// error of an expression and to catch its compile error.

import { expect } from 'vitest';
import { CelEnv, type EnvOptions } from '../../src/cel/env.js';
import { CelCompileError, CelError } from '../../src/cel/errors.js';
import { T, type Type } from '../../src/cel/types.js';

/** A declared JSON object type, as the engine derives from a context schema. */
export function object(name: string, fields: Record<string, Type>, open = false): Type {
  return { kind: 'object', name, fields: new Map(Object.entries(fields)), open };
}

/** `request` is closed (unknown fields are compile errors), `user` is open (unknown fields are dyn). */
export const VARIABLES: Record<string, Type> = {
  x: T.dyn,
  y: T.dyn,
  s: T.string,
  i: T.int,
  d: T.double,
  request: object('request', {
    model: T.string,
    max_tokens: T.int,
    prompt: T.string,
    tags: T.list(T.string),
    metadata: T.map(T.string, T.string),
  }),
  user: object(
    'user',
    {
      id: T.string,
      tier: T.string,
      permissions: T.list(T.string),
      budget: object('user.budget', { spent: T.double, limit: T.double }),
    },
    true,
  ),
};

export const env = new CelEnv({ variables: VARIABLES });

/** Evaluates `src`; CEL errors are thrown. */
export function run(src: string, vars: Record<string, unknown> = {}, on: CelEnv = env): unknown {
  return on.program(src).eval(vars);
}

/** The message of the CelError `src` evaluates to; fails the test if it evaluates to a value. */
export function runError(src: string, vars: Record<string, unknown> = {}, on: CelEnv = env): string {
  const r = on.program(src).evalResult(vars);
  if (!(r instanceof CelError)) throw new Error(`expected an evaluation error from ${src}, got ${String(r)}`);
  return r.message;
}

/** The CelCompileError compiling `src` throws; fails the test if it compiles. */
export function compileError(src: string, options?: EnvOptions): CelCompileError {
  const on = options ? new CelEnv({ variables: VARIABLES, ...options }) : env;
  try {
    on.compile(src);
  } catch (e) {
    if (e instanceof CelCompileError) return e;
    throw e;
  }
  throw new Error(`expected a compile error from ${src}`);
}

/** Asserts that each expression evaluates to true. */
export function expectAllTrue(exprs: readonly string[], vars: Record<string, unknown> = {}, on: CelEnv = env): void {
  for (const e of exprs) expect(run(e, vars, on), e).toBe(true);
}
