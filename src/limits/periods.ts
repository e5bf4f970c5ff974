// Calendar budget periods in a time zone: the period a moment falls in, as an
// id (part of the storage key, so each period starts empty) and its end.

import { civilTime, daysFromCivil } from '../cel/runtime/time.js';
import { CelTimestamp } from '../cel/values.js';

export interface Period {
  /** e.g. 2026-11 (month), 2026-11-28 (day), 2026-W48 (ISO week). */
  readonly id: string;
  /** Epoch ms at which the period ends (exclusive). */
  readonly endMs: number;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

const HOUR_MS = 3_600_000;

/** Epoch ms of local midnight `days` (days since 1970-01-01, local calendar) in `tz`: the first instant of that local day. */
function localMidnightToUtcMs(days: number, tz: string): number {
  // Fix: the old two-step correction (offset at the naive instant, then at
  // the guess) assumed local midnight exists exactly once. Around a
  // transition at midnight it does not: where clocks jump forward AT
  // midnight west of UTC (America/Havana, Santiago, Asuncion, Sao Paulo until
  // 2019...) it never happens and the old answer was an hour early, while the
  // local date was still the old day; where clocks fall back over midnight
  // (Asia/Amman, Gaza...) it happens twice and the old answer was the second
  // time, an hour late. The day starts at the FIRST instant whose local time
  // is at or after midnight.
  //
  // Local midnight is at naive − offset; offsets lie within −12h..+14h, so it
  // falls within [naive − 14h, naive + 12h]. The offsets in force just before
  // and just after that span give the two candidates (one transition at most
  // in such a span).
  const naive = days * 86_400_000;
  const before = offsetMs(naive - 15 * HOUR_MS, tz);
  const after = offsetMs(naive + 13 * HOUR_MS, tz);
  if (before === after) return naive - before;
  const lo = Math.min(naive - before, naive - after);
  const hi = Math.max(naive - before, naive - after);
  const localOf = (t: number): number => t + offsetMs(t, tz);
  if (localOf(lo) >= naive) return lo;
  const atHi = localOf(hi);
  if (atHi === naive) return hi;
  if (atHi < naive) return naive - after; // more than one transition: not expected in real zones
  // Midnight falls inside a gap: the day starts at the jump itself, in
  // (lo, hi]; find it (in seconds, the resolution of offsetMs).
  let a = Math.floor(lo / 1000);
  let b = Math.ceil(hi / 1000);
  while (b - a > 1) {
    const m = Math.floor((a + b) / 2);
    if (localOf(m * 1000) >= naive) b = m;
    else a = m;
  }
  return b * 1000;
}

function offsetMs(utcMs: number, tz: string): number {
  const seconds = Math.floor(utcMs / 1000);
  const c = civilTime(new CelTimestamp(seconds, 0), tz);
  const local = daysFromCivil(c.year, c.month, c.day) * 86_400 + c.hour * 3600 + c.minute * 60 + c.second;
  return (local - seconds) * 1000;
}

export function periodOf(unit: 'day' | 'week' | 'month', tz: string, nowMs: number): Period {
  const c = civilTime(new CelTimestamp(Math.floor(nowMs / 1000), 0), tz);
  const today = daysFromCivil(c.year, c.month, c.day);
  switch (unit) {
    case 'day':
      return { id: `${pad(c.year, 4)}-${pad(c.month)}-${pad(c.day)}`, endMs: localMidnightToUtcMs(today + 1, tz) };
    case 'week': {
      // ISO weeks: Monday to Sunday; the week belongs to the year of its Thursday.
      const mondayOffset = (c.dayOfWeek + 6) % 7;
      const monday = today - mondayOffset;
      const thursday = monday + 3;
      const ty = new Date(thursday * 86_400_000).getUTCFullYear();
      const week = Math.floor((thursday - daysFromCivil(ty, 1, 1)) / 7) + 1;
      return { id: `${pad(ty, 4)}-W${pad(week)}`, endMs: localMidnightToUtcMs(monday + 7, tz) };
    }
    case 'month': {
      const next = c.month === 12 ? daysFromCivil(c.year + 1, 1, 1) : daysFromCivil(c.year, c.month + 1, 1);
      return { id: `${pad(c.year, 4)}-${pad(c.month)}`, endMs: localMidnightToUtcMs(next, tz) };
    }
  }
}
