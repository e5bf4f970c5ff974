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

/** Epoch ms of local midnight `days` (days since 1970-01-01, local calendar) in `tz`. */
function localMidnightToUtcMs(days: number, tz: string): number {
  // Offsets change at most by hours: take the offset at the naive instant, then correct once.
  const naive = days * 86_400_000;
  const off1 = offsetMs(naive, tz);
  const guess = naive - off1;
  const off2 = offsetMs(guess, tz);
  return naive - off2;
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
