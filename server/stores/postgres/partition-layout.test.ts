import { describe, expect, it } from 'vitest';
import { boundLiteral, leafName, rangeHolding, rangeName, rangeToCreate, type RangePartition } from './partition-layout.ts';

const INGEST = '2026-12-01T10:00:00.000Z';
const at = (iso: string) => Date.parse(iso);
const range = (start: string | undefined, end: string): RangePartition => ({
  name: rangeName('logs', { startMs: start === undefined ? undefined : at(start), endMs: at(end) }),
  startMs: start === undefined ? undefined : at(start),
  endMs: at(end),
  leaves: new Map(),
});
const iso = (span: { startMs?: number; endMs: number } | undefined) => span && [span.startMs === undefined ? 'min' : new Date(span.startMs).toISOString().slice(0, 10), new Date(span.endMs).toISOString().slice(0, 10)];

describe('when choosing the range a new event needs', () => {
  it('does give a recent day, an older month and the oldest their own span, as the other stores bucket them', () => {
    expect(iso(rangeToCreate('2026-12-01T23:59:59.999Z', INGEST, []))).toEqual(['2026-12-01', '2026-12-02']);
    expect(iso(rangeToCreate('2026-12-02T01:00:00.000Z', INGEST, []))).toEqual(['2026-12-02', '2026-12-03']);
    expect(iso(rangeToCreate('2026-11-03T01:00:00.000Z', INGEST, []))).toEqual(['2026-11-03', '2026-11-04']);
    expect(iso(rangeToCreate('2026-10-31T23:00:00.000Z', INGEST, []))).toEqual(['2026-10-01', '2026-11-01']);
    expect(iso(rangeToCreate('2024-11-30T23:00:00.000Z', INGEST, []))).toEqual(['2024-11-01', '2024-12-01']);
    expect(iso(rangeToCreate('2024-10-31T23:00:00.000Z', INGEST, []))).toEqual(['min', '2024-11-01']);
    expect(iso(rangeToCreate('1970-01-01T00:00:00.000Z', INGEST, []))).toEqual(['min', '2024-11-01']);
  });

  it('does cut it to the gap between ranges made before, so no two overlap', () => {
    // October got days of its own while it was recent; a late event of an October day without one
    // gets only the gap, not the month.
    const ranges = [range('2026-10-10', '2026-10-11'), range('2026-10-20', '2026-10-21')];
    expect(iso(rangeToCreate('2026-10-15T12:00:00.000Z', INGEST, ranges))).toEqual(['2026-10-11', '2026-10-20']);
    expect(iso(rangeToCreate('2026-10-02T12:00:00.000Z', INGEST, ranges))).toEqual(['2026-10-01', '2026-10-10']);
    expect(iso(rangeToCreate('2026-10-30T12:00:00.000Z', INGEST, ranges))).toEqual(['2026-10-21', '2026-11-01']);
    // The oldest range stops where the first range above it starts, and starts after one below it.
    expect(iso(rangeToCreate('2020-01-01T00:00:00.000Z', INGEST, [range('2023-05-01', '2023-06-01')]))).toEqual(['min', '2023-05-01']);
    expect(iso(rangeToCreate('2020-01-01T00:00:00.000Z', INGEST, [range(undefined, '2019-03-01')]))).toEqual(['2019-03-01', '2024-11-01']);
  });

  it('does give nothing for a timestamp that is no time', () => {
    expect(rangeToCreate('not a time', INGEST, [])).toBeUndefined();
  });
});

describe('when finding the range that holds an instant', () => {
  const ranges = [range(undefined, '2024-11-01'), range('2026-10-01', '2026-11-01'), range('2026-11-01', '2026-11-02')];

  it('does find it by its bounds, start inclusive, end exclusive', () => {
    expect(rangeHolding(ranges, at('2026-10-31T23:59:59.999Z'))?.name).toBe('logs_20261001_20261101');
    expect(rangeHolding(ranges, at('2026-11-01T00:00:00.000Z'))?.name).toBe('logs_20261101_20261102');
    expect(rangeHolding(ranges, at('1999-01-01T00:00:00.000Z'))?.name).toBe('logs_min_20241101');
    expect(rangeHolding(ranges, at('2025-01-01T00:00:00.000Z'))).toBeUndefined();
    expect(rangeHolding(ranges, at('2026-11-02T00:00:00.000Z'))).toBeUndefined();
  });

  it('does name leaves by range and project, and bounds as PostgreSQL reads them', () => {
    expect(leafName('logs_20261101_20261102', 42)).toBe('logs_20261101_20261102_p42');
    expect(boundLiteral(undefined)).toBe('MINVALUE');
    expect(boundLiteral(at('2026-11-01T00:00:00Z'))).toBe("'2026-11-01T00:00:00.000Z'");
    expect(rangeName('logs', { startMs: Date.UTC(10000, 0, 1), endMs: Date.UTC(10000, 0, 2) })).toBe('logs_0100000101_0100000102');
  });
});
