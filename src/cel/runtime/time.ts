// Timestamps and durations: RFC 3339 parsing/formatting, Go-style duration
// strings, exact (seconds, nanos) arithmetic with CEL's range checks, and the
// calendar getters with optional time zones.

import { CelError } from '../errors.js';
import {
  CelDuration,
  CelTimestamp,
  MAX_DURATION_SECONDS,
  MAX_TIMESTAMP_SECONDS,
  MIN_TIMESTAMP_SECONDS,
} from '../values.js';

const NANOS = 1_000_000_000;

// ---- civil calendar (proleptic Gregorian), after H. Hinnant's algorithms ----

export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(z: number): { y: number; m: number; d: number } {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

// ---- timestamps ----

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

export function checkTimestamp(seconds: number, nanos: number): CelTimestamp {
  if (seconds < MIN_TIMESTAMP_SECONDS || seconds > MAX_TIMESTAMP_SECONDS) {
    throw new CelError('timestamp out of range: it must be between 0001-01-01 and 9999-12-31');
  }
  return new CelTimestamp(seconds, nanos);
}

export function parseTimestamp(s: string): CelTimestamp {
  const m = RFC3339.exec(s);
  if (!m) throw new CelError(`cannot parse timestamp '${s}': use RFC 3339, e.g. 2024-01-31T12:00:00Z`);
  const [, ys, mos, ds, hs, mis, ss, frac, , sign, oh, om] = m;
  const y = +ys!;
  const mo = +mos!;
  const d = +ds!;
  const h = +hs!;
  const mi = +mis!;
  const sec = +ss!;
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || sec > 59) {
    throw new CelError(`invalid date or time in timestamp '${s}'`);
  }
  // RFC 3339 offsets are at most 23:59 (without this check '+99:99' shifted the time by four days).
  if (sign && (+oh! > 23 || +om! > 59)) throw new CelError(`invalid UTC offset in timestamp '${s}': use -23:59 to +23:59`);
  let seconds = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
  if (sign) {
    const off = (+oh! * 60 + +om!) * 60;
    seconds -= sign === '+' ? off : -off;
  }
  const nanos = frac ? +frac.padEnd(9, '0') : 0;
  return checkTimestamp(seconds, nanos);
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** RFC 3339 in UTC with the fraction trimmed of trailing zeros (as Go's RFC3339Nano). */
export function formatTimestamp(t: CelTimestamp): string {
  const days = Math.floor(t.seconds / 86400);
  const rem = t.seconds - days * 86400;
  const { y, m, d } = civilFromDays(days);
  let out = `${pad(y, 4)}-${pad(m)}-${pad(d)}T${pad(Math.floor(rem / 3600))}:${pad(Math.floor((rem % 3600) / 60))}:${pad(rem % 60)}`;
  if (t.nanos) out += '.' + String(t.nanos).padStart(9, '0').replace(/0+$/, '');
  return out + 'Z';
}

export function timestampFromMillis(ms: number): CelTimestamp {
  const seconds = Math.floor(ms / 1000);
  return new CelTimestamp(seconds, Math.round((ms - seconds * 1000) * 1e6));
}

export function compareTimestamps(a: CelTimestamp, b: CelTimestamp): number {
  return a.seconds !== b.seconds ? a.seconds - b.seconds : a.nanos - b.nanos;
}

export function addToTimestamp(t: CelTimestamp, d: CelDuration): CelTimestamp {
  let s = t.seconds + d.seconds;
  let n = t.nanos + d.nanos;
  if (n >= NANOS) {
    s++;
    n -= NANOS;
  } else if (n < 0) {
    s--;
    n += NANOS;
  }
  return checkTimestamp(s, n);
}

/** Largest span between two timestamps: int64 nanoseconds (about 292 years), as in the reference implementation. */
const MAX_SPAN_SECONDS = 9223372036;

export function subtractTimestamps(a: CelTimestamp, b: CelTimestamp): CelDuration {
  const d = makeDuration(a.seconds - b.seconds, a.nanos - b.nanos);
  if (Math.abs(d.seconds) > MAX_SPAN_SECONDS) throw new CelError('duration out of range: timestamps are more than 292 years apart');
  return d;
}

// ---- durations ----

/** Normalises so seconds and nanos share a sign, then range-checks. */
export function makeDuration(seconds: number, nanos: number): CelDuration {
  seconds += Math.trunc(nanos / NANOS);
  nanos %= NANOS;
  if (seconds > 0 && nanos < 0) {
    seconds--;
    nanos += NANOS;
  } else if (seconds < 0 && nanos > 0) {
    seconds++;
    nanos -= NANOS;
  }
  if (Math.abs(seconds) > MAX_DURATION_SECONDS) throw new CelError('duration out of range: at most ±10,000 years');
  return new CelDuration(seconds, nanos === 0 ? 0 : nanos);
}

export function durationNanos(d: CelDuration): bigint {
  return BigInt(d.seconds) * 1_000_000_000n + BigInt(d.nanos);
}

export function durationFromNanos(n: bigint): CelDuration {
  const s = n / 1_000_000_000n;
  return makeDuration(Number(s), Number(n - s * 1_000_000_000n));
}

const UNIT_NANOS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n,
  'μs': 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** Parses Go duration syntax: "1h30m", "1.5s", "-250ms", "0". */
export function parseDuration(s: string): CelDuration {
  const bad = (): never => {
    throw new CelError(`cannot parse duration '${s}': use a number and a unit (h, m, s, ms, us, ns), e.g. 90s or 1h30m`);
  };
  let i = 0;
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    i = 1;
  }
  if (s.slice(i) === '0') return new CelDuration(0, 0);
  if (i >= s.length) bad();
  let total = 0n;
  const part = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/;
  while (i < s.length) {
    const m = part.exec(s.slice(i));
    if (!m || (m[1] === '' && (m[2] === undefined || m[2] === ''))) bad();
    const unit = UNIT_NANOS[m![3]!]!;
    const whole = BigInt(m![1] || '0');
    let frac = 0n;
    const f = m![2];
    if (f) {
      const digits = f.slice(0, 18);
      frac = (BigInt(digits) * unit) / 10n ** BigInt(digits.length);
    }
    total += whole * unit + frac;
    i += m![0].length;
  }
  return durationFromNanos(neg ? -total : total);
}

/** Formats as seconds with a trimmed fraction, e.g. "1.5s", "-0.000000001s" (protobuf JSON style). */
export function formatDuration(d: CelDuration): string {
  if (d.nanos === 0) return `${d.seconds}s`;
  const neg = d.seconds < 0 || d.nanos < 0;
  const s = Math.abs(d.seconds);
  const n = String(Math.abs(d.nanos)).padStart(9, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${s}.${n}s`;
}

export function compareDurations(a: CelDuration, b: CelDuration): number {
  return a.seconds !== b.seconds ? a.seconds - b.seconds : a.nanos - b.nanos;
}

export function addDurations(a: CelDuration, b: CelDuration): CelDuration {
  return makeDuration(a.seconds + b.seconds, a.nanos + b.nanos);
}

export function negateDuration(d: CelDuration): CelDuration {
  return makeDuration(-d.seconds, -d.nanos);
}

// ---- calendar fields in a time zone ----

export interface Civil {
  year: number;
  month: number; // 1-12
  day: number; // 1-31
  hour: number;
  minute: number;
  second: number;
  dayOfWeek: number; // 0 = Sunday
  dayOfYear: number; // 0-based
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const FIXED_OFFSET = /^([+-]?)(\d{2}):(\d{2})$/;

/** The UTC offset in seconds of `tz` at the instant `seconds` (Unix). */
function offsetSeconds(tz: string, seconds: number): number {
  const fixed = FIXED_OFFSET.exec(tz);
  if (fixed) {
    if (+fixed[2]! > 23 || +fixed[3]! > 59) throw new CelError(`invalid UTC offset '${tz}': use -23:59 to +23:59, or an IANA name such as Europe/Paris`);
    const off = (+fixed[2]! * 60 + +fixed[3]!) * 60;
    return fixed[1] === '-' ? -off : off;
  }
  if (tz === 'UTC' || tz === 'Z') return 0;
  let f = formatters.get(tz);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: tz,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        era: 'short',
      });
    } catch {
      throw new CelError(`unknown time zone '${tz}': use an IANA name such as Europe/Paris, or an offset such as +02:00`);
    }
    if (formatters.size > 1000) formatters.clear();
    formatters.set(tz, f);
  }
  const parts: Record<string, string> = {};
  for (const p of f.formatToParts(new Date(seconds * 1000))) parts[p.type] = p.value;
  let year = +parts.year!;
  if (parts.era === 'BC' || parts.era === 'B') year = 1 - year;
  const local = daysFromCivil(year, +parts.month!, +parts.day!) * 86400 + +parts.hour! * 3600 + +parts.minute! * 60 + +parts.second!;
  return local - seconds;
}

export function civilTime(t: CelTimestamp, tz?: string): Civil {
  const local = tz === undefined ? t.seconds : t.seconds + offsetSeconds(tz, t.seconds);
  const days = Math.floor(local / 86400);
  const rem = local - days * 86400;
  const { y, m, d } = civilFromDays(days);
  return {
    year: y,
    month: m,
    day: d,
    hour: Math.floor(rem / 3600),
    minute: Math.floor((rem % 3600) / 60),
    second: rem % 60,
    dayOfWeek: (((days + 4) % 7) + 7) % 7,
    dayOfYear: days - daysFromCivil(y, 1, 1),
  };
}
