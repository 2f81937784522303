import { describe, expect, it } from 'vitest';
import { parseIsoTime } from '../duration.ts';
import { formatIso, isoToMs, toIsoTime } from './time.ts';

// The hand-written paths exist only for speed: they must answer exactly what Date and parseIsoTime do.
let seed = 7;
const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

describe('when an ISO 8601 time is read', () => {
  it('does agree with parseIsoTime on the shapes loggers write', () => {
    const suffixes = ['', 'Z', '+01:00', '-0530', '+14:00', '.1Z', '.123', ',123', '.123456789Z', '.5-08:00'];
    for (let n = 0; n < 3000; n++) {
      const ms = Math.floor(random() * 4e12);
      const d = new Date(ms);
      const base = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}${n % 3 ? 'T' : ' '}${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
      const text = base + suffixes[n % suffixes.length];
      expect(isoToMs(text), text).toBe(parseIsoTime(text));
    }
  });

  it('does agree with parseIsoTime on leap days, bad fields and odd shapes', () => {
    const cases = [
      '2024-02-29T00:00:00Z', '2023-02-29T00:00:00Z', '2000-02-29T12:00:00Z', '1900-02-29T00:00:00Z', '2026-13-01T00:00:00Z',
      '2026-04-31T00:00:00Z', '2026-11-01T24:00:00Z', '2026-11-01T10:60:00Z', '2026-11-01T10:00:60Z', '2026-11-01T10:00:00.Z',
      '2026-11-01T10:00:00+25:00', '2026-11-01T10:00:00z', '2026-11-01t10:00:00Z', '2026-11-01T10:00Z', '2026-11-01',
      ' 2026-11-01T10:00:00Z ', '2026-11-01T10:00:00Zjunk', '0050-01-01T00:00:00Z', '1969-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z',
    ];
    for (const text of cases) expect(isoToMs(text), text).toBe(parseIsoTime(text));
  });
});

describe('when a time is written', () => {
  it('does write what Date#toISOString writes', () => {
    for (let n = 0; n < 3000; n++) {
      const ms = n % 2 ? Math.floor(random() * 2.5e14) : 1_793_527_200_000 + Math.floor(random() * 1e6);
      expect(formatIso(ms)).toBe(new Date(ms).toISOString());
    }
    for (const ms of [0, -1, 1.7, 253_402_300_799_999, 253_402_300_800_000, -8.64e15, 8.64e15]) expect(formatIso(ms)).toBe(new Date(ms).toISOString());
    expect(formatIso(8.64e15 + 1)).toBeUndefined();
    expect(formatIso(Number.NaN)).toBeUndefined();
  });

  it('does read epoch numbers and digit strings by their size', () => {
    expect(toIsoTime(1793527200)).toBe('2026-11-01T10:00:00.000Z');
    expect(toIsoTime('1793527200.5')).toBe('2026-11-01T10:00:00.500Z');
    expect(toIsoTime(1793527200123456)).toBe('2026-11-01T10:00:00.123Z');
    expect(toIsoTime(Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(toIsoTime(12)).toBeUndefined();
    expect(toIsoTime('yesterday')).toBeUndefined();
  });

  it('does write a time already in toISOString form as Date would', () => {
    for (const text of ['2026-11-01T10:00:00.123Z', '2024-02-29T23:59:59.999Z']) {
      expect(toIsoTime(text)).toBe(new Date(parseIsoTime(text)!).toISOString());
    }
  });

  it('does not read a date that does not exist (Date.parse would roll 2026-02-30 over into March)', () => {
    for (const text of ['2026-02-30T00:00:00.000Z', '2026-02-30', '2026-04-31 10:00:00', '2026-11-01T24:00:00Z']) expect(toIsoTime(text), text).toBeUndefined();
  });
});
