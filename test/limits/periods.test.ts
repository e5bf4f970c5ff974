// Calendar budget periods: the period a moment falls in (its id, part of the
// storage key) and when it ends — in UTC and in time zones, across DST
// transitions, month and year ends, and ISO week 53 / week 1.

import { describe, expect, test } from 'vitest';
import { periodOf } from '../../src/limits/periods.js';

const ms = (iso: string): number => Date.parse(iso);
const iso = (t: number): string => new Date(t).toISOString();
const period = (unit: 'day' | 'week' | 'month', tz: string, at: string): { id: string; end: string } => {
  const p = periodOf(unit, tz, ms(at));
  return { id: p.id, end: iso(p.endMs) };
};

describe('UTC', () => {
  test('day: from midnight to midnight; midnight itself starts the next day', () => {
    expect(period('day', 'UTC', '2026-03-02T10:00:00Z')).toEqual({ id: '2026-03-02', end: '2026-03-03T00:00:00.000Z' });
    expect(period('day', 'UTC', '2026-03-02T23:59:59.999Z').id).toBe('2026-03-02');
    expect(period('day', 'UTC', '2026-03-03T00:00:00Z')).toEqual({ id: '2026-03-03', end: '2026-03-04T00:00:00.000Z' });
    expect(period('day', 'UTC', '2026-03-02T00:00:00Z').id).toBe('2026-03-02');
  });

  test('week: ISO, Monday to Sunday', () => {
    // 2026-03-02 is a Monday; 2026-03-08 a Sunday.
    const monday = { id: '2026-W10', end: '2026-03-09T00:00:00.000Z' };
    expect(period('week', 'UTC', '2026-03-02T00:00:00Z')).toEqual(monday);
    expect(period('week', 'UTC', '2026-03-05T12:00:00Z')).toEqual(monday);
    expect(period('week', 'UTC', '2026-03-08T23:59:59.999Z')).toEqual(monday);
    expect(period('week', 'UTC', '2026-03-09T00:00:00Z')).toEqual({ id: '2026-W11', end: '2026-03-16T00:00:00.000Z' });
    expect(period('week', 'UTC', '2026-03-01T23:59:59.999Z')).toEqual({ id: '2026-W09', end: '2026-03-02T00:00:00.000Z' });
  });

  test('week 53 and week 1: the week belongs to the year of its Thursday', () => {
    // 2020 has 53 weeks: its week 53 runs Mon 2020-12-28 to Sun 2021-01-03.
    expect(period('week', 'UTC', '2020-12-28T00:00:00Z')).toEqual({ id: '2020-W53', end: '2021-01-04T00:00:00.000Z' });
    expect(period('week', 'UTC', '2021-01-01T12:00:00Z').id).toBe('2020-W53');
    expect(period('week', 'UTC', '2021-01-03T23:59:59.999Z').id).toBe('2020-W53');
    expect(period('week', 'UTC', '2021-01-04T00:00:00Z').id).toBe('2021-W01');
    // Week 1 can start in December: 2024-12-30 (Monday) is in 2025-W01.
    expect(period('week', 'UTC', '2024-12-29T23:59:59.999Z').id).toBe('2024-W52');
    expect(period('week', 'UTC', '2024-12-30T00:00:00Z')).toEqual({ id: '2025-W01', end: '2025-01-06T00:00:00.000Z' });
    expect(period('week', 'UTC', '2024-12-31T23:59:59Z').id).toBe('2025-W01');
    // 2026-01-01 is a Thursday: week 1 of 2026 starts on Mon 2025-12-29.
    expect(period('week', 'UTC', '2025-12-29T00:00:00Z').id).toBe('2026-W01');
    // 2026 has 53 weeks (it starts on a Thursday); 2027-01-01 (Friday) is in 2026-W53.
    expect(period('week', 'UTC', '2026-12-28T00:00:00Z').id).toBe('2026-W53');
    expect(period('week', 'UTC', '2027-01-01T00:00:00Z')).toEqual({ id: '2026-W53', end: '2027-01-04T00:00:00.000Z' });
    expect(period('week', 'UTC', '2027-01-04T00:00:00Z').id).toBe('2027-W01');
    // Single-digit weeks are padded.
    expect(period('week', 'UTC', '2026-02-10T00:00:00Z').id).toBe('2026-W07');
  });

  test('month: to the first of the next month, across February and the year end', () => {
    expect(period('month', 'UTC', '2026-03-15T00:00:00Z')).toEqual({ id: '2026-03', end: '2026-04-01T00:00:00.000Z' });
    expect(period('month', 'UTC', '2024-02-29T23:59:59.999Z')).toEqual({ id: '2024-02', end: '2024-03-01T00:00:00.000Z' });
    expect(period('month', 'UTC', '2026-02-28T12:00:00Z')).toEqual({ id: '2026-02', end: '2026-03-01T00:00:00.000Z' });
    expect(period('month', 'UTC', '2026-12-31T23:59:59.999Z')).toEqual({ id: '2026-12', end: '2027-01-01T00:00:00.000Z' });
    expect(period('month', 'UTC', '2027-01-01T00:00:00Z')).toEqual({ id: '2027-01', end: '2027-02-01T00:00:00.000Z' });
    expect(period('day', 'UTC', '2026-12-31T23:59:59.999Z')).toEqual({ id: '2026-12-31', end: '2027-01-01T00:00:00.000Z' });
  });
});

describe('time zones: periods change at local midnight', () => {
  test('Europe/Paris in winter (+01:00) and summer (+02:00)', () => {
    expect(period('day', 'Europe/Paris', '2026-01-15T22:59:59.999Z')).toEqual({ id: '2026-01-15', end: '2026-01-15T23:00:00.000Z' });
    expect(period('day', 'Europe/Paris', '2026-01-15T23:00:00Z')).toEqual({ id: '2026-01-16', end: '2026-01-16T23:00:00.000Z' });
    expect(period('day', 'Europe/Paris', '2026-07-01T21:59:59.999Z').id).toBe('2026-07-01');
    expect(period('day', 'Europe/Paris', '2026-07-01T22:00:00Z')).toEqual({ id: '2026-07-02', end: '2026-07-02T22:00:00.000Z' });
  });

  test('Europe/Paris DST days: 23 hours in spring, 25 in autumn (the repeated hour stays in its day)', () => {
    // Spring forward on Sunday 2026-03-29 at 02:00 local.
    expect(period('day', 'Europe/Paris', '2026-03-28T23:00:00Z')).toEqual({ id: '2026-03-29', end: '2026-03-29T22:00:00.000Z' });
    expect(period('day', 'Europe/Paris', '2026-03-29T21:59:59.999Z').id).toBe('2026-03-29');
    // Fall back on Sunday 2026-10-25 at 03:00 local: 02:00-03:00 happens twice.
    expect(period('day', 'Europe/Paris', '2026-10-24T22:00:00Z')).toEqual({ id: '2026-10-25', end: '2026-10-25T23:00:00.000Z' });
    expect(period('day', 'Europe/Paris', '2026-10-25T00:30:00Z').id).toBe('2026-10-25');
    expect(period('day', 'Europe/Paris', '2026-10-25T01:30:00Z').id).toBe('2026-10-25');
    expect(period('day', 'Europe/Paris', '2026-10-25T22:59:59.999Z').id).toBe('2026-10-25');
    // The week and the month containing the transition end at local midnight too.
    expect(period('week', 'Europe/Paris', '2026-03-29T12:00:00Z')).toEqual({ id: '2026-W13', end: '2026-03-29T22:00:00.000Z' });
    expect(period('month', 'Europe/Paris', '2026-03-29T12:00:00Z')).toEqual({ id: '2026-03', end: '2026-03-31T22:00:00.000Z' });
    expect(period('month', 'Europe/Paris', '2026-10-01T12:00:00Z')).toEqual({ id: '2026-10', end: '2026-10-31T23:00:00.000Z' });
  });

  test('month and year ends west and east of UTC', () => {
    // New York: 23:30 on 31 March local is already April in UTC.
    expect(period('month', 'America/New_York', '2026-04-01T03:30:00Z')).toEqual({ id: '2026-03', end: '2026-04-01T04:00:00.000Z' });
    expect(period('month', 'America/New_York', '2026-04-01T04:00:00Z').id).toBe('2026-04');
    // Auckland (+13 in summer): the new year starts at 11:00 UTC on 31 December.
    expect(period('month', 'Pacific/Auckland', '2026-12-31T10:59:59.999Z')).toEqual({ id: '2026-12', end: '2026-12-31T11:00:00.000Z' });
    expect(period('month', 'Pacific/Auckland', '2026-12-31T11:00:00Z')).toEqual({ id: '2027-01', end: '2027-01-31T11:00:00.000Z' });
    expect(period('day', 'Pacific/Auckland', '2026-12-31T11:00:00Z').id).toBe('2027-01-01');
    // A week that straddles the year end in local time: Tokyo (+09, no DST).
    expect(period('week', 'Asia/Tokyo', '2026-12-27T15:00:00Z')).toEqual({ id: '2026-W53', end: '2027-01-03T15:00:00.000Z' });
    expect(period('week', 'Asia/Tokyo', '2026-12-27T14:59:59.999Z').id).toBe('2026-W52');
    // Half-hour offsets: India (+05:30).
    expect(period('day', 'Asia/Kolkata', '2026-03-02T18:29:59.999Z')).toEqual({ id: '2026-03-02', end: '2026-03-02T18:30:00.000Z' });
  });

  test('clocks that jump forward AT midnight: the day ends when the next one begins, not an hour early', () => {
    // Havana 2024-03-10 00:00 (-05) became 01:00 (-04): 9 March ends at 05:00 UTC.
    expect(period('day', 'America/Havana', '2024-03-09T12:00:00Z')).toEqual({ id: '2024-03-09', end: '2024-03-10T05:00:00.000Z' });
    expect(period('day', 'America/Havana', '2024-03-10T04:59:59.999Z').id).toBe('2024-03-09');
    expect(period('day', 'America/Havana', '2024-03-10T05:00:00Z').id).toBe('2024-03-10');
    // Santiago 2024-09-08 00:00 (-04) became 01:00 (-03).
    expect(period('day', 'America/Santiago', '2024-09-07T12:00:00Z')).toEqual({ id: '2024-09-07', end: '2024-09-08T04:00:00.000Z' });
    // Sao Paulo 2018-11-04 00:00 (-03) became 01:00 (-02); the week and month ends are local midnights too.
    expect(period('day', 'America/Sao_Paulo', '2018-11-03T12:00:00Z')).toEqual({ id: '2018-11-03', end: '2018-11-04T03:00:00.000Z' });
    expect(period('week', 'America/Sao_Paulo', '2018-11-01T12:00:00Z').end).toBe('2018-11-05T02:00:00.000Z');
    // Cairo 2024-04-26 00:00 (+02) became 01:00 (+03).
    expect(period('day', 'Africa/Cairo', '2024-04-25T12:00:00Z')).toEqual({ id: '2024-04-25', end: '2024-04-25T22:00:00.000Z' });
  });

  test('clocks that fall back over midnight: the day ends at the FIRST local midnight', () => {
    // Amman 2021-10-29 01:00 (+03) became 00:00 (+02): midnight happened at 21:00 UTC, and again at 22:00.
    expect(period('day', 'Asia/Amman', '2021-10-28T12:00:00Z')).toEqual({ id: '2021-10-28', end: '2021-10-28T21:00:00.000Z' });
    expect(period('day', 'Asia/Amman', '2021-10-28T21:00:00Z').id).toBe('2021-10-29');
    // Asuncion 2024-03-24 00:00 (-03) became 23:00 (-04) on the 23rd: the 23rd lasts until 04:00 UTC.
    expect(period('day', 'America/Asuncion', '2024-03-23T12:00:00Z')).toEqual({ id: '2024-03-23', end: '2024-03-24T04:00:00.000Z' });
  });

  test('a skipped day: Samoa jumped from 29 to 31 December 2011', () => {
    expect(period('day', 'Pacific/Apia', '2011-12-29T12:00:00Z')).toEqual({ id: '2011-12-29', end: '2011-12-30T10:00:00.000Z' });
    expect(period('day', 'Pacific/Apia', '2011-12-30T10:00:00Z').id).toBe('2011-12-31');
  });

  test('in every zone with a midnight transition, each period ends exactly where the local calendar leaves it', () => {
    const zones = ['America/Havana', 'America/Santiago', 'America/Sao_Paulo', 'Asia/Amman', 'Africa/Cairo', 'Europe/Paris', 'Australia/Lord_Howe', 'Pacific/Chatham'];
    const failures: string[] = [];
    for (const tz of zones) {
      const f = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', weekday: 'short' });
      const local = (t: number): { date: string; weekday: string } => {
        const parts = Object.fromEntries(f.formatToParts(new Date(t)).map((p) => [p.type, p.value]));
        return { date: `${parts.year}-${parts.month}-${parts.day}`, weekday: parts.weekday! };
      };
      for (let t = ms('2018-01-01T12:00:00Z'); t < ms('2025-01-01T00:00:00Z'); t += 86_400_000) {
        const day = periodOf('day', tz, t);
        const before = local(day.endMs - 1);
        const after = local(day.endMs);
        if (day.id !== local(t).date || before.date !== day.id || after.date === day.id) failures.push(`${tz} day ${iso(t)}: ${day.id} ends ${iso(day.endMs)}`);
        if (local(t).weekday === 'Wed') {
          const week = periodOf('week', tz, t);
          if (local(week.endMs).weekday !== 'Mon' || local(week.endMs - 1).weekday !== 'Sun') failures.push(`${tz} week ${iso(t)}: ends ${iso(week.endMs)}`);
          const month = periodOf('month', tz, t);
          if (!local(month.endMs).date.endsWith('-01') || local(month.endMs - 1).date.slice(0, 7) !== month.id) failures.push(`${tz} month ${iso(t)}: ends ${iso(month.endMs)}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });
});
