import { describe, expect, it } from 'vitest';
import { bucketNamed, bucketOf, earlierBuckets, olderSpan, spanOf } from './time-bucket.ts';

const INGEST = '2026-11-15T12:00:00.000Z';

describe('when choosing the period that holds an event', () => {
  it('does give recent events their own UTC day: this month, the month before, and a day ahead', () => {
    expect(bucketOf('2026-11-01T23:59:59.999Z', INGEST)).toEqual({ period: 'day', parts: ['2026', '11', '01'] });
    expect(bucketOf('2026-10-01T00:00:00.000Z', INGEST)).toEqual({ period: 'day', parts: ['2026', '10', '01'] });
    expect(bucketOf('2026-12-01T03:00:00.000Z', '2026-11-30T23:00:00.000Z')).toEqual({ period: 'day', parts: ['2026', '12', '01'] });
    expect(bucketOf('2026-11-01T22:30:00-05:00', INGEST)).toEqual({ period: 'day', parts: ['2026', '11', '02'] });
  });

  it('does put older events in their month, for two years, and anything older in one bucket', () => {
    expect(bucketOf('2026-09-30T23:59:59.999Z', INGEST)).toEqual({ period: 'month', parts: ['2026', '09'] });
    expect(bucketOf('2024-10-01T00:00:00.000Z', INGEST)).toEqual({ period: 'month', parts: ['2024', '10'] });
    expect(bucketOf('2024-09-30T23:59:59.999Z', INGEST)).toEqual({ period: 'older', parts: [] });
    expect(bucketOf('-000001-01-02T00:00:00.000Z', INGEST)).toEqual({ period: 'older', parts: [] });
  });

  it('does hold any number of scattered past dates in a bounded number of buckets', () => {
    const buckets = new Set<string>();
    for (let i = 0; i < 100_000; i++) {
      const ts = new Date(Date.parse(INGEST) - Math.floor(((i * 7919) % 100_000) * 1.7e8)).toISOString();
      const b = bucketOf(ts, INGEST)!;
      buckets.add(`${b.period}:${b.parts.join('.')}`);
    }
    expect(buckets.size).toBeLessThanOrEqual(62 + 24 + 1);
  });

  it('does give the same day a coarser bucket once its ingest month is two months on', () => {
    const ts = '2026-09-20T08:00:00.000Z';
    expect(bucketOf(ts, '2026-10-31T23:59:59.000Z')?.period).toBe('day');
    expect(bucketOf(ts, '2026-11-01T00:00:05.000Z')?.period).toBe('month');
    expect(bucketOf(ts, '2026-10-31T23:59:59.000Z')?.period).toBe('day');
  });

  it('does give nothing for a timestamp that is no time, and the event own day for an unreadable ingest time', () => {
    expect(bucketOf('yesterday', INGEST)).toBeUndefined();
    expect(bucketOf('1999-01-02T00:00:00.000Z', '')).toEqual({ period: 'day', parts: ['1999', '01', '02'] });
  });
});

describe('when a coarser bucket is chosen', () => {
  it('does name the finer ones an earlier copy could be in', () => {
    const ts = '2025-01-05T10:00:00.000Z';
    expect(earlierBuckets(ts, bucketOf(ts, INGEST)!)).toEqual([{ period: 'day', parts: ['2025', '01', '05'] }]);
    const old = '2020-01-05T10:00:00.000Z';
    expect(earlierBuckets(old, bucketOf(old, INGEST)!)).toEqual([
      { period: 'month', parts: ['2020', '01'] },
      { period: 'day', parts: ['2020', '01', '05'] },
    ]);
    expect(earlierBuckets('2026-11-01T00:00:00.000Z', bucketOf('2026-11-01T00:00:00.000Z', INGEST)!)).toEqual([]);
  });
});

describe('when telling what time a bucket holds', () => {
  it('does give a day and a month their UTC span, and older what lies before the months that get their own', () => {
    expect(spanOf({ period: 'day', parts: ['2026', '12', '31'] })).toEqual({ startMs: Date.parse('2026-12-31T00:00:00Z'), endMs: Date.parse('2027-01-01T00:00:00Z') });
    expect(spanOf({ period: 'month', parts: ['2024', '02'] })).toEqual({ startMs: Date.parse('2024-02-01T00:00:00Z'), endMs: Date.parse('2024-03-01T00:00:00Z') });
    expect(spanOf({ period: 'older', parts: [] })).toBeUndefined();
    expect(olderSpan(INGEST)).toEqual({ endMs: Date.parse('2024-10-01T00:00:00Z') });
    // What older holds ends where the oldest month bucket starts, for the same ingest time.
    expect(bucketOf(new Date(olderSpan(INGEST).endMs - 1).toISOString(), INGEST)?.period).toBe('older');
    expect(bucketOf(new Date(olderSpan(INGEST).endMs).toISOString(), INGEST)?.period).toBe('month');
  });

  it('does read back the names the stores give buckets, and nothing else', () => {
    expect(bucketNamed('2026.11.02', '.')).toEqual({ period: 'day', parts: ['2026', '11', '02'] });
    expect(bucketNamed('2024-03', '-')).toEqual({ period: 'month', parts: ['2024', '03'] });
    expect(bucketNamed('older', '-')).toEqual({ period: 'older', parts: [] });
    for (const name of ['2026.13', '2026.02.30', '2026-11-02', 'x', '2026.1.2', '2026.11.02.01']) expect(bucketNamed(name, '.')).toBeUndefined();
  });
});
