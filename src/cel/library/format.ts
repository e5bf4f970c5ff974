// string.format(list): printf-style substitution as in cel-go's strings
// extension (its current "v2" formatter). Clauses: %s %d %f %e %b %o %x %X and
// %% for a literal percent; %f and %e take a precision (%.3f), default 6.
//
// Numbers are printed as Go's fmt/strconv print them, so the digits match
// cel-go exactly: %f/%e round the exact binary value half-to-even (2.5 -> "2",
// where JS's toFixed gives "3"), and doubles under %s/%d use the shortest
// round-trip digits without an exponent.

import { CelError } from '../errors.js';
import { mapEntries } from '../runtime/equality.js';
import { compareStrings, utf8Encode } from '../runtime/strings.js';
import { formatDuration, formatTimestamp } from '../runtime/time.js';
import { CelDuration, CelMap, CelTimestamp, CelType, CelUint, isPlainObject, kindName, typeOfValue } from '../values.js';

const DEFAULT_PRECISION = 6;
/** Bounds the work a single clause can ask for ("%.100000000f"). */
const MAX_PRECISION = 100;

const lenientUtf8 = new TextDecoder('utf-8');

export function formatString(template: string, args: readonly unknown[]): string {
  let out = '';
  let argIndex = 0;
  let i = 0;
  while (i < template.length) {
    const pct = template.indexOf('%', i);
    if (pct < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, pct);
    if (template[pct + 1] === '%') {
      out += '%';
      i = pct + 2;
      continue;
    }
    // cel-go's order of checks: a missing argument first, then the clause.
    if (argIndex >= args.length) throw new CelError(`index ${argIndex} out of range`);
    if (pct + 1 >= template.length) throw new CelError('unexpected end of string');
    const clause = parseClause(template, pct + 1);
    out += applyClause(clause.verb, clause.precision, args[argIndex]);
    argIndex++;
    i = clause.end;
  }
  return out;
}

interface Clause {
  readonly verb: string;
  readonly precision: number;
  /** Offset just past the clause. */
  readonly end: number;
}

function parseError(msg: string): CelError {
  return new CelError(`could not parse formatting clause: ${msg}`);
}

/** Parses `[.digits]verb` at offset j (just after the '%'). */
function parseClause(t: string, j: number): Clause {
  let precision = DEFAULT_PRECISION;
  if (t[j] === '.') {
    const start = ++j;
    while (j < t.length && t[j]! >= '0' && t[j]! <= '9') j++;
    if (j >= t.length) throw parseError('error while parsing precision: could not find end of precision specifier');
    if (j === start) throw parseError('error while parsing precision: missing precision digits');
    precision = Number(t.slice(start, j));
    if (precision > MAX_PRECISION) {
      throw parseError(`error while parsing precision: precision ${precision} exceeds maximum allowed precision ${MAX_PRECISION}`);
    }
  }
  const verb = String.fromCodePoint(t.codePointAt(j)!);
  if (!'sdfebxXo'.includes(verb)) throw parseError(`unrecognized formatting clause "${verb}"`);
  return { verb, precision, end: j + verb.length };
}

function formatError(msg: string, v: unknown): CelError {
  return new CelError(`error during formatting: ${msg}, was given ${typeName(v)}`);
}

/** The CEL type name cel-go reports (int, google.protobuf.Duration, null_type, ...). */
function typeName(v: unknown): string {
  return typeOfValue(v)?.name ?? kindName(v);
}

function applyClause(verb: string, precision: number, v: unknown): string {
  switch (verb) {
    case 's':
      return formatValue(v);
    case 'd':
      if (typeof v === 'bigint') return v.toString();
      if (v instanceof CelUint) return v.value.toString();
      if (typeof v === 'number') return nonFinite(v) ?? shortestFixed(v);
      throw formatError('decimal clause can only be used on ints, uints, and doubles', v);
    case 'f':
    case 'e': {
      const x = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : v instanceof CelUint ? Number(v.value) : undefined;
      if (x === undefined) {
        throw formatError(`${verb === 'f' ? 'fixed-point' : 'scientific'} clause can only be used on ints, uints, and doubles`, v);
      }
      return nonFinite(x) ?? (verb === 'f' ? fixedPoint(x, precision) : scientific(x, precision));
    }
    case 'b':
      if (typeof v === 'boolean') return v ? '1' : '0';
      return integerIn(v, 2) ?? throwError(formatError('only ints, uints, and bools can be formatted as binary', v));
    case 'o':
      return integerIn(v, 8) ?? throwError(formatError('octal clause can only be used on ints and uints', v));
    default: {
      // x, X: integers in hex, strings (as UTF-8) and bytes as hex digit pairs.
      let hex = integerIn(v, 16);
      if (hex === undefined && typeof v === 'string') hex = bytesHex(utf8Encode(v));
      if (hex === undefined && v instanceof Uint8Array) hex = bytesHex(v);
      if (hex === undefined) throw formatError('only ints, uints, bytes, and strings can be formatted as hex', v);
      return verb === 'X' ? hex.toUpperCase() : hex;
    }
  }
}

function throwError(e: CelError): never {
  throw e;
}

/** An int or uint in the given base, negative ints with a '-' (as Go prints them). */
function integerIn(v: unknown, base: number): string | undefined {
  if (typeof v === 'bigint') return v.toString(base);
  if (v instanceof CelUint) return v.value.toString(base);
  return undefined;
}

function bytesHex(b: Uint8Array): string {
  let out = '';
  for (const x of b) out += x.toString(16).padStart(2, '0');
  return out;
}

/** Deepest list/map nesting %s prints; context data is untrusted and may nest deeper than the stack allows. */
const MAX_FORMAT_DEPTH = 1000;

/** %s: any CEL value except optionals, lists and maps recursively; map entries sorted by their printed key. */
function formatValue(v: unknown, depth = 0): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'boolean':
    case 'bigint':
      return String(v);
    case 'number':
      return nonFinite(v) ?? shortestFixed(v);
    case 'object':
      if (v === null) return 'null';
      if ((Array.isArray(v) || v instanceof CelMap || isPlainObject(v)) && depth >= MAX_FORMAT_DEPTH) {
        throw new CelError(`error during formatting: the value nests more than ${MAX_FORMAT_DEPTH} lists or maps deep`);
      }
      if (Array.isArray(v)) return `[${v.map((x) => formatValue(x, depth + 1)).join(', ')}]`;
      if (v instanceof CelMap || isPlainObject(v)) {
        const entries = mapEntries(v).map(([k, x]) => [formatValue(k, depth + 1), formatValue(x, depth + 1)] as const);
        entries.sort((a, b) => compareStrings(a[0], b[0]));
        return `{${entries.map(([k, x]) => `${k}: ${x}`).join(', ')}}`;
      }
      if (v instanceof CelUint) return v.value.toString();
      if (v instanceof Uint8Array) return lenientUtf8.decode(v);
      if (v instanceof CelTimestamp) return formatTimestamp(v);
      // Exact seconds; cel-go prints Duration.Seconds() as a float64, which only differs past 2^53 ns.
      if (v instanceof CelDuration) return formatDuration(v);
      if (v instanceof CelType) return v.name;
      break;
  }
  throw formatError('string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, durations, and timestamps', v);
}

// ---- doubles, printed as Go does ----

function nonFinite(x: number): string | undefined {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return undefined;
}

const isNegative = (x: number): boolean => x < 0 || Object.is(x, -0);

/** Go's strconv.FormatFloat(x, 'f', -1, 64): shortest round-trip digits, never an exponent. */
function shortestFixed(x: number): string {
  const sign = isNegative(x) ? '-' : '';
  if (x === 0) return `${sign}0`;
  const [mant, expStr] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mant.replace('.', '');
  const exp = Number(expStr);
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return sign + digits.padEnd(exp + 1, '0');
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

/** The exact value of |x| (finite) as a fraction num/den. */
function exactFraction(x: number): { num: bigint; den: bigint } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const hi = view.getUint32(0);
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  let exp = -1074; // subnormal
  if (biased !== 0) {
    mant |= 1n << 52n;
    exp = biased - 1075;
  }
  return exp >= 0 ? { num: mant << BigInt(exp), den: 1n } : { num: mant, den: 1n << BigInt(-exp) };
}

/** round(num/den × 10^k), ties to even. */
function scaledRound(num: bigint, den: bigint, k: number): bigint {
  if (k >= 0) num *= 10n ** BigInt(k);
  else den *= 10n ** BigInt(-k);
  const q = num / den;
  const twiceRem = (num % den) * 2n;
  return twiceRem > den || (twiceRem === den && (q & 1n) === 1n) ? q + 1n : q;
}

/** Go's %.{p}f. */
function fixedPoint(x: number, p: number): string {
  const { num, den } = exactFraction(x);
  const digits = scaledRound(num, den, p).toString().padStart(p + 1, '0');
  const whole = digits.slice(0, digits.length - p);
  return (isNegative(x) ? '-' : '') + (p > 0 ? `${whole}.${digits.slice(digits.length - p)}` : whole);
}

/** Go's %.{p}e: one digit before the point, an exponent of at least two digits. */
function scientific(x: number, p: number): string {
  let exp = 0;
  let digits = 0n;
  if (x !== 0) {
    const { num, den } = exactFraction(x);
    // log10 can be off by one near powers of ten; the digit count corrects it.
    exp = Math.floor(Math.log10(Math.abs(x)));
    const lo = 10n ** BigInt(p);
    digits = scaledRound(num, den, p - exp);
    if (digits >= lo * 10n) digits = scaledRound(num, den, p - ++exp);
    else if (digits < lo) digits = scaledRound(num, den, p - --exp);
  }
  const s = digits.toString().padStart(p + 1, '0');
  const mantissa = p > 0 ? `${s[0]}.${s.slice(1)}` : s;
  return `${isNegative(x) ? '-' : ''}${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}
