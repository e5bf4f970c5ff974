// A fast path for the regexes policies mostly use: literal text, optionally
// anchored, optionally a group of literal alternatives, optionally (?i) —
// `^gpt-4`, `@(acme|example)\.com$`, `(?i)(ignore|disregard) previous`.
// Such a pattern is a set of literal strings, matched with startsWith /
// endsWith / includes / === (linear, and 50-100x faster than a regex engine
// written in JS). Anything else goes to the RE2 engine; see regex.ts.
//
// Exactness: case-insensitive matching lower-cases ASCII only, and only when
// the input is all ASCII; otherwise RE2's Unicode case folding (where 'k'
// also matches the Kelvin sign) decides. Differential tests against re2js
// (test/cel/regex.test.ts) hold the two paths to the same answers.

export interface LiteralPattern {
  readonly alternatives: readonly string[];
  readonly anchoredStart: boolean;
  readonly anchoredEnd: boolean;
  readonly caseInsensitive: boolean;
}

const META = new Set(['.', '[', ']', '(', ')', '{', '}', '*', '+', '?', '|', '^', '$', '\\']);
const ASCII_PUNCT = /^[!-/:-@[-`{-~]$/;

/** Parses `pattern` as a literal-set pattern, or returns undefined when it is anything more. */
export function analyzeLiteral(pattern: string): LiteralPattern | undefined {
  let i = 0;
  let caseInsensitive = false;
  if (pattern.startsWith('(?i)')) {
    caseInsensitive = true;
    i = 4;
  }
  let anchoredStart = false;
  if (pattern[i] === '^') {
    anchoredStart = true;
    i++;
  }
  let end = pattern.length;
  let anchoredEnd = false;
  if (end > i && pattern[end - 1] === '$' && !isEscaped(pattern, end - 1)) {
    anchoredEnd = true;
    end--;
  }
  const readLiteral = (stopAt: Set<string>): string | undefined => {
    let out = '';
    while (i < end && !stopAt.has(pattern[i]!)) {
      const c = pattern[i]!;
      if (c === '\\') {
        const n = pattern[i + 1];
        if (n === undefined || i + 1 >= end || !ASCII_PUNCT.test(n)) return undefined;
        out += n;
        i += 2;
        continue;
      }
      if (META.has(c)) return undefined;
      const code = c.charCodeAt(0);
      if (code >= 0xd800 && code <= 0xdfff) {
        // Keep surrogate pairs whole; a lone surrogate is not a literal we can match safely.
        const next = pattern.charCodeAt(i + 1);
        if (code > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return undefined;
        out += pattern.slice(i, i + 2);
        i += 2;
        continue;
      }
      out += c;
      i++;
    }
    return out;
  };
  const prefix = readLiteral(new Set(['(']));
  if (prefix === undefined) return undefined;
  let middles = [''];
  if (i < end && pattern[i] === '(') {
    i++;
    if (pattern.startsWith('?:', i)) i += 2;
    middles = [];
    for (;;) {
      const alt = readLiteral(new Set(['|', ')']));
      if (alt === undefined) return undefined;
      middles.push(alt);
      if (pattern[i] === '|') {
        i++;
        continue;
      }
      if (pattern[i] === ')') {
        i++;
        break;
      }
      return undefined;
    }
  }
  const suffix = readLiteral(new Set());
  if (suffix === undefined || i !== end) return undefined;
  const alternatives = [...new Set(middles.map((m) => prefix + m + suffix))];
  if (caseInsensitive && alternatives.some((a) => !/^[\x00-\x7f]*$/.test(a))) return undefined;
  return {
    alternatives: caseInsensitive ? alternatives.map((a) => a.toLowerCase()) : alternatives,
    anchoredStart,
    anchoredEnd,
    caseInsensitive,
  };
}

function isEscaped(s: string, at: number): boolean {
  let n = 0;
  for (let j = at - 1; j >= 0 && s[j] === '\\'; j--) n++;
  return n % 2 === 1;
}

const NON_ASCII = /[^\x00-\x7f]/;

/**
 * A matcher for the literal set, or undefined-returning for inputs it cannot
 * decide exactly (case-insensitive patterns on non-ASCII input).
 */
export function literalMatcher(p: LiteralPattern): (input: string) => boolean | undefined {
  const alts = p.alternatives;
  const test = (s: string): boolean => {
    if (p.anchoredStart && p.anchoredEnd) return alts.includes(s);
    if (p.anchoredStart) return alts.some((a) => s.startsWith(a));
    if (p.anchoredEnd) return alts.some((a) => s.endsWith(a));
    return alts.some((a) => s.includes(a));
  };
  if (!p.caseInsensitive) return test;
  return (s) => (NON_ASCII.test(s) ? undefined : test(s.toLowerCase()));
}
