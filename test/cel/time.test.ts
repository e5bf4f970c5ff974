// Timestamps and durations: parsing, arithmetic and its range, the calendar
// getters in UTC, IANA zones and fixed offsets, and the string forms.

import { describe, expect, it } from 'vitest';
import { CelDuration, CelTimestamp } from '../../src/cel/values.js';
import { expectAllTrue, run, runError } from './helpers.js';

const T0 = "timestamp('2024-01-31T23:30:00Z')"; // a Wednesday
const RANGE = 'timestamp out of range: it must be between 0001-01-01 and 9999-12-31';

describe('parsing', () => {
  it('reads RFC 3339 with Z or an offset, and fractions down to nanoseconds', () => {
    expect(run("timestamp('2024-01-31T12:00:00Z')")).toEqual(new CelTimestamp(1706702400, 0));
    expect(run("timestamp('2024-01-31T14:00:00+02:00')")).toEqual(new CelTimestamp(1706702400, 0));
    expect(run("timestamp('2024-01-31T12:00:00.123456789Z')")).toEqual(new CelTimestamp(1706702400, 123456789));
    expect(run("timestamp('1970-01-01T00:00:00Z')")).toEqual(new CelTimestamp(0, 0));
  });

  it('rejects other formats and impossible dates, saying what to write', () => {
    expect(runError("timestamp('2024-01-31 12:00:00')")).toBe(
      "cannot parse timestamp '2024-01-31 12:00:00': use RFC 3339, e.g. 2024-01-31T12:00:00Z",
    );
    expect(runError("timestamp('2024-01-31T12:00:00')")).toMatch(/^cannot parse timestamp/); // no zone
    expect(runError("timestamp('2023-02-29T00:00:00Z')")).toBe("invalid date or time in timestamp '2023-02-29T00:00:00Z'");
    expect(run("timestamp('2024-02-29T00:00:00Z') < timestamp('2024-03-01T00:00:00Z')")).toBe(true);
    expect(runError("timestamp('2024-01-31T24:00:00Z')")).toMatch(/^invalid date or time/);
  });

  it('rejects UTC offsets beyond ±23:59 (it used to shift the time by days)', () => {
    expect(runError("timestamp('2024-01-31T12:00:00+99:99')")).toBe(
      "invalid UTC offset in timestamp '2024-01-31T12:00:00+99:99': use -23:59 to +23:59",
    );
    expect(run("timestamp('2024-01-31T12:00:00-23:59') == timestamp('2024-02-01T11:59:00Z')")).toBe(true);
  });

  it('covers years 1 to 9999 only', () => {
    expect(runError("timestamp('0000-12-31T23:59:59Z')")).toBe(RANGE);
    expect(run("timestamp('0001-01-01T00:00:00Z')")).toEqual(new CelTimestamp(-62135596800, 0));
    expect(run("timestamp('9999-12-31T23:59:59.999999999Z')")).toEqual(new CelTimestamp(253402300799, 999999999));
  });

  it('durations use Go syntax: units h, m, s, ms, us, ns, with fractions and a sign', () => {
    expect(run("duration('1h30m')")).toEqual(new CelDuration(5400, 0));
    expect(run("duration('1.5s')")).toEqual(new CelDuration(1, 500000000));
    expect(run("duration('-250ms')")).toEqual(new CelDuration(0, -250000000));
    expect(run("duration('0')")).toEqual(new CelDuration(0, 0));
    expect(runError("duration('1d')")).toBe("cannot parse duration '1d': use a number and a unit (h, m, s, ms, us, ns), e.g. 90s or 1h30m");
    expect(runError("duration('')")).toMatch(/^cannot parse duration ''/);
    expect(runError("duration('100000000h')")).toBe('duration out of range: at most ±10,000 years');
  });
});

describe('arithmetic', () => {
  it('adds and subtracts durations, and subtracts timestamps', () => {
    expectAllTrue([
      `${T0} + duration('30m') == timestamp('2024-02-01T00:00:00Z')`,
      `duration('30m') + ${T0} == timestamp('2024-02-01T00:00:00Z')`,
      `${T0} - duration('24h') == timestamp('2024-01-30T23:30:00Z')`,
      "timestamp('2024-03-01T00:00:00Z') - timestamp('2024-02-28T00:00:00Z') == duration('48h')",
      "duration('1h') - duration('90m') == duration('-30m')",
      "duration('0s') - duration('1s') == duration('-1s')",
      "duration('1h') > duration('59m')",
      `${T0} < ${T0} + duration('1ns')`,
    ]);
  });

  it('carries nanoseconds across the second', () => {
    expect(run("timestamp('2024-01-01T00:00:00.9Z') + duration('0.2s')")).toEqual(new CelTimestamp(1704067201, 100000000));
    expect(run("timestamp('2024-01-01T00:00:00.1Z') - duration('0.2s')")).toEqual(new CelTimestamp(1704067199, 900000000));
  });

  it('fails past the representable ranges', () => {
    expect(runError("timestamp('9999-12-31T23:59:59Z') + duration('1s')")).toBe(RANGE);
    expect(runError("timestamp('0001-01-01T00:00:00Z') - duration('1s')")).toBe(RANGE);
    expect(runError("duration('87600000h') + duration('87600000h')")).toBe('duration out of range: at most ±10,000 years');
    expect(runError("timestamp('9999-01-01T00:00:00Z') - timestamp('0001-01-01T00:00:00Z')")).toBe(
      'duration out of range: timestamps are more than 292 years apart',
    );
  });
});

describe('getters', () => {
  it('read the calendar in UTC by default; months and days of month/year are 0-based, getDate is 1-based', () => {
    expectAllTrue([
      `${T0}.getFullYear() == 2024`,
      `${T0}.getMonth() == 0`,
      `${T0}.getDate() == 31`,
      `${T0}.getDayOfMonth() == 30`,
      `${T0}.getDayOfYear() == 30`,
      `${T0}.getDayOfWeek() == 3`,
      `${T0}.getHours() == 23`,
      `${T0}.getMinutes() == 30`,
      `${T0}.getSeconds() == 0`,
      "timestamp('2024-01-31T12:00:00.5Z').getMilliseconds() == 500",
      "timestamp('2024-12-31T00:00:00Z').getDayOfYear() == 365",
    ]);
  });

  it('take an IANA time zone, following daylight saving time', () => {
    expectAllTrue([
      `${T0}.getHours('Europe/Paris') == 0`, // UTC+1 in winter: already the next day
      `${T0}.getDate('Europe/Paris') == 1`,
      `${T0}.getMonth('Europe/Paris') == 1`,
      `${T0}.getDayOfWeek('Europe/Paris') == 4`,
      "timestamp('2024-07-31T23:30:00Z').getHours('Europe/Paris') == 1", // UTC+2 in summer
      `${T0}.getHours('America/Los_Angeles') == 15`,
      `${T0}.getHours('Asia/Kolkata') == 5`,
      `${T0}.getMinutes('Asia/Kolkata') == 0`,
      `${T0}.getHours('UTC') == 23`,
    ]);
  });

  it('take a fixed ±HH:MM offset', () => {
    expectAllTrue([
      `${T0}.getHours('+05:30') == 5`,
      `${T0}.getMinutes('+05:30') == 0`,
      `${T0}.getHours('-08:00') == 15`,
      "timestamp('2024-12-31T23:30:00Z').getFullYear('+01:00') == 2025",
    ]);
  });

  it('report an unknown zone or an impossible offset', () => {
    expect(runError(`${T0}.getHours('Mars/Olympus')`)).toBe(
      "unknown time zone 'Mars/Olympus': use an IANA name such as Europe/Paris, or an offset such as +02:00",
    );
    expect(runError(`${T0}.getHours('+99:00')`)).toBe("invalid UTC offset '+99:00': use -23:59 to +23:59, or an IANA name such as Europe/Paris");
  });

  it('on durations give whole units', () => {
    expectAllTrue([
      "duration('1h30m').getHours() == 1",
      "duration('1h30m').getMinutes() == 90",
      "duration('90s').getSeconds() == 90",
      "duration('1.5s').getMilliseconds() == 500",
    ]);
  });
});

describe('string forms', () => {
  it('timestamps print as RFC 3339 in UTC with the shortest fraction', () => {
    expect(run("string(timestamp('2024-01-31T12:00:00Z'))")).toBe('2024-01-31T12:00:00Z');
    expect(run("string(timestamp('2024-01-31T12:00:00.120Z'))")).toBe('2024-01-31T12:00:00.12Z');
    expect(run("string(timestamp('2024-01-31T12:00:00+02:00'))")).toBe('2024-01-31T10:00:00Z');
    expect(run("string(timestamp('0001-01-01T00:00:00.000000001Z'))")).toBe('0001-01-01T00:00:00.000000001Z');
  });

  it('durations print as seconds', () => {
    expect(run("string(duration('1h30m'))")).toBe('5400s');
    expect(run("string(duration('1.5s'))")).toBe('1.5s');
    expect(run("string(duration('-250ms'))")).toBe('-0.25s');
    expect(run("string(duration('1ns'))")).toBe('0.000000001s');
  });

  it('timestamps convert to and from Unix seconds', () => {
    expect(run("int(timestamp('2024-01-31T12:00:00Z'))")).toBe(1706702400n);
    expect(run("string(timestamp(1706702400))")).toBe('2024-01-31T12:00:00Z');
    expect(runError('timestamp(253402300800)')).toBe(RANGE);
  });
});
