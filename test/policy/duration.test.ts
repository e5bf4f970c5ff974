import { describe, expect, test } from 'vitest';
import { DurationError, parseDuration } from '../../src/policy/duration.js';

describe('parseDuration', () => {
  test.each([
    ['0s', 0],
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['1m30s500ms', 90_500],
    ['1d2h3m4s5ms', 93_784_005],
  ])('%s = %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  test.each([
    ['', 'empty duration', 'write a number and a unit'],
    ['   ', 'empty duration', 'write a number and a unit'],
    ['10 minutes', "invalid duration '10 minutes': spaces are not allowed", "write '10m'"],
    ['5 sec', "invalid duration '5 sec': spaces are not allowed", "write '5s'"],
    ['1y', "invalid duration '1y': unknown unit 'y'", "e.g. '365d'"],
    ['2w', "invalid duration '2w': unknown unit 'w'", "e.g. '14d'"],
    ['1mo', "invalid duration '1mo': unknown unit 'mo'", "e.g. '30d'"],
    ['1H', "invalid duration '1H': unknown unit 'H'", "write '1h'"],
    ['-5s', "negative duration '-5s'", 'cannot be negative'],
    ['30', "invalid duration '30': a unit is missing", "e.g. '30s'"],
    ['1m30', "invalid duration '1m30': a unit is missing", "e.g. '1m30s'"],
    ['1.5h', "invalid duration '1.5h': fractions are not allowed", "'1h30m'"],
    ['30s1m', "invalid duration '30s1m': units must go from largest to smallest, each at most once", "'1h30m'"],
    ['1m1m', "invalid duration '1m1m': units must go from largest to smallest, each at most once", 'order the parts'],
    ['h', "invalid duration 'h': a number is missing before 'h'", "e.g. '1h'"],
    ['1h+5m', "invalid duration '1h+5m'", 'write a number and a unit'],
    ['99999999999999999d', "duration '99999999999999999d' is too long", 'shorter'],
  ])('%j is rejected clearly', (text, message, hint) => {
    let error: unknown;
    try {
      parseDuration(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DurationError);
    expect((error as DurationError).message).toBe(message);
    expect((error as DurationError).hint).toContain(hint);
  });
});
