// Shared helpers for the extension-library tests.
import { CelEnv } from '../../../src/cel/env.js';
import { CelError } from '../../../src/cel/errors.js';
import { T } from '../../../src/cel/types.js';

/** `s` is a string variable, for values a literal cannot express (lone surrogates) and non-constant calls. */
const env = new CelEnv({ variables: { s: T.string } });

/** Evaluates a standalone expression (numeric promotion on, as in policies). */
export function run(src: string, vars: Record<string, unknown> = {}): unknown {
  return env.program(src).eval(vars);
}

/** The message of the CelError an expression fails with at run time. */
export function runError(src: string): string {
  const r = env.program(src).evalResult();
  if (!(r instanceof CelError)) throw new Error(`expected an error from ${src}, got ${String(r)}`);
  return r.message;
}

/** The type the checker gives an expression, e.g. `int`, `dyn`. */
export function typeOf(src: string): unknown {
  return env.program(src).compiled.type;
}

export { env };
