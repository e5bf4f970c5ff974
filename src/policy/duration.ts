// Durations as written in policies and config: `500ms`, `30s`, `5m`, `2h`, `1d`,
// or several parts from the largest unit to the smallest (`1h30m`, `1m30s500ms`).
// No fractions, signs, spaces or units beyond days: months and years have no
// fixed length, and one spelling per duration keeps policies easy to diff.

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;
type Unit = keyof typeof UNIT_MS;
/** Largest first: the order parts must appear in. */
const UNITS: readonly Unit[] = ['d', 'h', 'm', 's', 'ms'];

export class DurationError extends Error {
  constructor(
    message: string,
    /** How to write it instead. */
    readonly hint: string,
  ) {
    super(message);
    this.name = 'DurationError';
  }
}

const PART = /(\d+)(ms|s|m|h|d)/y;
const EXAMPLES = "e.g. '500ms', '30s', '5m', '2h', '1d' or '1h30m'";

/** Milliseconds in `text`; throws DurationError saying what is wrong and how to write it. */
export function parseDuration(text: string): number {
  const shown = `'${text}'`;
  if (text.trim() === '') throw new DurationError('empty duration', `write a number and a unit, ${EXAMPLES}`);
  if (/^\s*-/.test(text)) throw new DurationError(`negative duration ${shown}`, `durations cannot be negative; ${EXAMPLES}`);
  if (/\s/.test(text)) {
    throw new DurationError(`invalid duration ${shown}: spaces are not allowed`, spellingHint(text));
  }
  let ms = 0;
  let lastUnit = -1;
  let at = 0;
  while (at < text.length) {
    PART.lastIndex = at;
    const m = PART.exec(text);
    if (!m) return failAt(text, at);
    const unit = m[2] as Unit;
    const rank = UNITS.indexOf(unit);
    if (rank <= lastUnit) {
      throw new DurationError(
        `invalid duration ${shown}: units must go from largest to smallest, each at most once`,
        `order the parts d, h, m, s, ms, e.g. '1h30m'`,
      );
    }
    lastUnit = rank;
    ms += Number(m[1]) * UNIT_MS[unit];
    at = PART.lastIndex;
  }
  if (!Number.isSafeInteger(ms)) throw new DurationError(`duration ${shown} is too long`, 'use a shorter duration');
  return ms;
}

/** Why `text` stops being a duration at `at`. */
function failAt(text: string, at: number): never {
  const shown = `'${text}'`;
  const rest = text.slice(at);
  if (/^\d+\.\d/.test(rest)) {
    throw new DurationError(
      `invalid duration ${shown}: fractions are not allowed`,
      `use a smaller unit instead, e.g. '1h30m' for 1.5h or '1500ms' for 1.5s`,
    );
  }
  if (/^\d+$/.test(rest)) {
    throw new DurationError(`invalid duration ${shown}: a unit is missing`, `add a unit (ms, s, m, h or d), e.g. '${text}s'`);
  }
  const word = /^\d+([a-zA-Z]+)$/.exec(text) ?? /^\d+([a-zA-Z]+)/.exec(rest);
  if (word) throw new DurationError(`invalid duration ${shown}: unknown unit '${word[1]}'`, spellingHint(text));
  const bare = /^[a-zA-Z]+/.exec(rest);
  if (bare) {
    const unit = unitFor(bare[0].toLowerCase()) ?? 'h';
    throw new DurationError(`invalid duration ${shown}: a number is missing before '${bare[0]}'`, `e.g. '1${unit}'`);
  }
  throw new DurationError(`invalid duration ${shown}`, `write a number and a unit, ${EXAMPLES}`);
}

/** Turns spellings like "10 minutes" or "1y" into advice. */
function spellingHint(text: string): string {
  const m = /^\s*(\d+)\s*([a-zA-Z]+)\s*$/.exec(text);
  if (m) {
    const [, n, word] = m as unknown as [string, string, string];
    const unit = unitFor(word.toLowerCase());
    if (unit) return `write '${n}${unit}'`;
    if (/^(y|yr|yrs|years?|mo|mos|months?|w|wk|wks|weeks?)$/i.test(word)) {
      return `the largest unit is d (days); e.g. '${Number(n) * (/^w/i.test(word) ? 7 : /^m/i.test(word) ? 30 : 365)}d'`;
    }
  }
  return `units are ms, s, m, h and d, ${EXAMPLES}`;
}

function unitFor(word: string): Unit | undefined {
  if (/^(ms|msecs?|millis|milliseconds?)$/.test(word)) return 'ms';
  if (/^(s|secs?|seconds?)$/.test(word)) return 's';
  if (/^(m|mins?|minutes?)$/.test(word)) return 'm';
  if (/^(h|hrs?|hours?)$/.test(word)) return 'h';
  if (/^(d|days?)$/.test(word)) return 'd';
  return undefined;
}
