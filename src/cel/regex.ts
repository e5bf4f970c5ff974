// Regular expressions for `matches`: RE2 syntax and semantics, linear time in
// the input for every pattern (policies come from many authors; a backtracking
// engine would turn one careless pattern into a denial of service).
//
// The engine is re2js, a pure-JS port of RE2 — no native build, no download at
// install time. Patterns that are sets of literal strings take a faster exact
// path (regex-literal.ts). Patterns are compiled once: at policy compile time
// when the pattern is a literal, otherwise through a bounded cache.

import { RE2JS } from 're2js';
import { CelError } from './errors.js';
import { analyzeLiteral, literalMatcher } from './regex-literal.js';

export interface CompiledRegex {
  readonly pattern: string;
  /** True when the pattern matches any substring of `input` (CEL `matches` is unanchored). */
  test(input: string): boolean;
}

/** Throws CelError with RE2's description when the pattern is invalid. */
export function compileRegex(pattern: string): CompiledRegex {
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new CelError(`invalid regular expression '${pattern}': ${msg}`);
  }
  const literal = analyzeLiteral(pattern);
  if (literal) {
    const fast = literalMatcher(literal);
    return {
      pattern,
      test: (input: string) => fast(input) ?? re.test(input),
    };
  }
  return {
    pattern,
    test: (input: string) => re.test(input),
  };
}

const cache = new Map<string, CompiledRegex>();
const CACHE_LIMIT = 500;

/** For patterns only known at evaluation time: compiled once per distinct pattern (bounded). */
export function cachedRegex(pattern: string): CompiledRegex {
  let r = cache.get(pattern);
  if (!r) {
    r = compileRegex(pattern);
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(pattern, r);
  }
  return r;
}
