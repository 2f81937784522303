import { describe, expect, it } from 'vitest';
import { filePathFor } from './sink.ts';

describe('when choosing the file of an event', () => {
  const at = (timestamp: string) => filePathFor('/logs', { project_id: 7, timestamp, ingest_ts: '2026-11-02T10:00:00.000Z' });

  it('does use the event own UTC day for a recent event', () => {
    expect(at('2026-11-01T23:30:00-01:00')).toBe('/logs/7/2026-11-02.log');
    expect(at('2026-10-01T00:00:00.000Z')).toBe('/logs/7/2026-10-01.log');
  });

  it('does put older events in a file per month, and the oldest in one', () => {
    expect(at('2025-06-30T12:00:00.000Z')).toBe('/logs/7/2025-06.log');
    expect(at('1970-01-21T00:00:00.000Z')).toBe('/logs/7/older.log');
    expect(at('not a time')).toBe('/logs/7/older.log');
  });
});
