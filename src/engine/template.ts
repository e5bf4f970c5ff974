// `reason` and `suggest` strings are templates: literal text with `${cel}`
// parts, e.g. "Monthly budget of $${user.budget.limit} reached" (a `$` and
// then the interpolation). `\${` writes a literal `${`. Each part is compiled
// once, with the policy's other expressions; rendering only runs for rules
// that matched.

export interface TemplatePart {
  readonly literal?: string;
  /** Expression text and its offset inside the template (for error positions). */
  readonly expr?: { readonly text: string; readonly offset: number };
}

export class TemplateSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** Splits a template into literal and expression parts. */
export function parseTemplate(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let lit = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('\\${', i)) {
      lit += '${';
      i += 3;
      continue;
    }
    if (!text.startsWith('${', i)) {
      lit += text[i];
      i++;
      continue;
    }
    const start = i + 2;
    const end = findClose(text, start);
    if (end < 0) throw new TemplateSyntaxError("unterminated '${' in template: add the closing '}' (write \\${ for a literal ${)", i);
    const expr = text.slice(start, end);
    if (expr.trim() === '') throw new TemplateSyntaxError("empty '${}' in template", i);
    if (lit) parts.push({ literal: lit });
    lit = '';
    parts.push({ expr: { text: expr, offset: start } });
    i = end + 1;
  }
  if (lit) parts.push({ literal: lit });
  return parts;
}

/** Index of the `}` closing an expression that starts at `from`, skipping nested braces and string literals. */
function findClose(text: string, from: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = from; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '{') depth++;
    else if (c === '}') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}
