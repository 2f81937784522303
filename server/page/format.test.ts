import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../../shared/event.ts';
import { eventFields, interval } from './format.ts';

describe('when the page lists the fields of an event', () => {
  const event: LogEvent = {
    event_id: 'e1',
    project_id: 1,
    timestamp: '2026-11-01T10:00:00.000Z',
    ingest_ts: '2026-11-01T10:00:00.100Z',
    service: 'checkout',
    level: 'ERROR',
    message: 'charge failed',
    trace_id: 't1',
    metadata: { err: { code: 'E1', retry: false, frames: ['a', 'b'] }, 'http.status': 502, empty: {}, none: null },
  };

  it('puts the known fields first and names metadata by the dotted path the query uses', () => {
    expect(eventFields(event).map((f) => [f.name, f.key ?? null, f.text])).toEqual([
      ['timestamp', null, '2026-11-01T10:00:00.000Z'],
      ['level', 'level', 'ERROR'],
      ['service', 'service', 'checkout'],
      ['message', null, 'charge failed'],
      ['trace_id', 'trace_id', 't1'],
      ['event_id', 'event_id', 'e1'],
      ['ingest_ts', null, '2026-11-01T10:00:00.100Z'],
      ['err.code', 'err.code', 'E1'],
      ['err.retry', 'err.retry', 'false'],
      ['err.frames', null, '["a","b"]'],
      ['http.status', 'http.status', '502'],
      ['empty', null, '{}'],
      ['none', null, 'null'],
    ]);
  });

  it('names bucket widths as durations', () => {
    expect([interval(1000), interval(300_000), interval(3_600_000), interval(86_400_000), interval(250)]).toEqual(['1s', '5m', '1h', '1d', '250ms']);
  });
});
