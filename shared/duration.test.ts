import { describe, expect, it } from 'vitest';
import { parseDuration, parseIsoTime, parseTimeBound } from './duration.ts';

describe('when reading durations and times', () => {
  it('reads the durations people type', () => {
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('1 hour')).toBeUndefined();
  });

  it('reads ISO 8601 with and without an offset, as UTC when none is named', () => {
    expect(parseIsoTime('2026-11-01T10:00:00Z')).toBe(Date.UTC(2026, 10, 1, 10));
    expect(parseIsoTime('2026-11-01T12:00:00+02:00')).toBe(Date.UTC(2026, 10, 1, 10));
    expect(parseIsoTime('2026-11-01 10:00:00,250')).toBe(Date.UTC(2026, 10, 1, 10, 0, 0, 250));
    expect(parseIsoTime('2026-11-01')).toBe(Date.UTC(2026, 10, 1));
    expect(parseIsoTime('yesterday')).toBeUndefined();
    expect(parseIsoTime('2026-13-45T99:00:00Z')).toBeUndefined();
  });

  it('refuses dates that do not exist rather than rolling them over into the next month or day', () => {
    for (const text of ['2026-02-30', '2026-02-29T00:00:00Z', '2026-04-31T10:00:00Z', '1900-02-29', '2026-11-01T24:00:00Z', '2026-00-10']) {
      expect(parseIsoTime(text), text).toBeUndefined();
    }
    expect(parseIsoTime('2024-02-29T10:00:00Z')).toBe(Date.UTC(2024, 1, 29, 10));
    expect(parseIsoTime('2000-02-29')).toBe(Date.UTC(2000, 1, 29));
  });

  it('takes a duration as that long before now, and says what it expected otherwise', () => {
    expect(parseTimeBound('1h', 10_000_000)).toBe(10_000_000 - 3_600_000);
    expect(() => parseTimeBound('soon')).toThrow(/ISO 8601.*duration/);
  });
});
