// Character helpers and findings shared by the pii and secrets scanners.
//
// Every scanner here is linear in the length of the text: it walks the text
// once and, at a position where a finding can start (a word boundary, an '@',
// a known prefix), runs a recogniser that reads a bounded number of characters
// or a run that no other start position re-reads.

/** A match in a text: [start, end) in UTF-16 code units. */
export interface Finding {
  readonly kind: string;
  readonly start: number;
  readonly end: number;
}

export const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
export const isUpper = (c: number): boolean => c >= 0x41 && c <= 0x5a;
export const isLower = (c: number): boolean => c >= 0x61 && c <= 0x7a;
export const isAlpha = (c: number): boolean => isUpper(c) || isLower(c);
export const isAlnum = (c: number): boolean => isAlpha(c) || isDigit(c);
/** [A-Za-z0-9_] */
export const isWord = (c: number): boolean => isAlnum(c) || c === 0x5f;
export const isHex = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
export const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;

/** Code at i, or -1 outside the text. */
export function at(text: string, i: number): number {
  return i >= 0 && i < text.length ? text.charCodeAt(i) : -1;
}

/**
 * A finding may start at i: the previous character is not part of a word,
 * nor a '-', '.' or '/' joining i to a word before it (identifiers, UUIDs,
 * version strings, paths).
 */
export function startsWord(text: string, i: number): boolean {
  const p = at(text, i - 1);
  if (p < 0) return true;
  if (isWord(p)) return false;
  if ((p === 0x2d || p === 0x2e || p === 0x2f) && isAlnum(at(text, i - 2))) return false;
  return true;
}

/** A finding may end at e: the next character is not part of a word, nor a '-' or '.' joining it to more. */
export function endsWord(text: string, e: number): boolean {
  const c = at(text, e);
  if (c < 0) return true;
  if (isWord(c)) return false;
  if ((c === 0x2d || c === 0x2e) && isAlnum(at(text, e + 1))) return false;
  return true;
}

/**
 * Findings in text order without overlaps: of two that overlap, the one that
 * starts first wins, and of two starting together the longer one.
 */
export function resolveOverlaps(findings: Finding[]): Finding[] {
  findings.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Finding[] = [];
  let end = -1;
  for (const f of findings) {
    if (f.start >= end) {
      out.push(f);
      end = f.end;
    }
  }
  return out;
}

/** `text` with each finding replaced by [REDACTED:KIND]. Findings must be sorted and disjoint. */
export function replaceFindings(text: string, findings: readonly Finding[]): string {
  if (findings.length === 0) return text;
  const parts: string[] = [];
  let from = 0;
  for (const f of findings) {
    parts.push(text.slice(from, f.start), `[REDACTED:${f.kind.toUpperCase()}]`);
    from = f.end;
  }
  parts.push(text.slice(from));
  return parts.join('');
}

/** The word of up to `max` ASCII letters that ends before position i, skipping spaces and ':#' first (lower-cased). */
export function wordBefore(text: string, i: number, max = 16): string {
  let j = i - 1;
  let skipped = 0;
  while (j >= 0 && skipped < 4 && (isSpace(text.charCodeAt(j)) || text.charCodeAt(j) === 0x3a || text.charCodeAt(j) === 0x23)) {
    j--;
    skipped++;
  }
  const end = j + 1;
  while (j >= 0 && end - j <= max && isAlpha(text.charCodeAt(j))) j--;
  return text.slice(j + 1, end).toLowerCase();
}
