import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../../../shared/event.ts';
import { numberTerm } from '../../../shared/query/terms.ts';
import { documentId, indexFor, indexTemplate, toDocument } from './mapping.ts';

describe('when naming the index of an event', () => {
  const at = (timestamp: string, ingest_ts = '2026-11-02T10:00:00.000Z') => indexFor('ns', { timestamp, ingest_ts });

  it('does use the event own UTC day for a recent event, not the clock', () => {
    expect(at('2026-11-01T23:59:59.999Z')).toEqual({ index: 'ns-logs-2026.11.01', earlier: [] });
    expect(at('2026-11-02T00:00:00.000Z')).toEqual({ index: 'ns-logs-2026.11.02', earlier: [] });
  });

  it('does convert an offset to the UTC day', () => {
    expect(at('2026-11-01T22:30:00-05:00')?.index).toBe('ns-logs-2026.11.02');
  });

  it('does put an old event in its month, and a very old one with the oldest, naming where an earlier copy may be', () => {
    expect(at('2025-03-04T00:00:00.000Z')).toEqual({ index: 'ns-logs-2025.03', earlier: ['ns-logs-2025.03.04'] });
    expect(at('+012345-01-02T00:00:00.000Z', '+012345-06-02T00:00:00.000Z')?.index).toBe('ns-logs-+012345.01');
    expect(at('-000001-01-02T00:00:00.000Z')).toEqual({ index: 'ns-logs-older', earlier: ['ns-logs--000001.01', 'ns-logs--000001.01.02'] });
  });

  it('does give nothing for a timestamp that is no time', () => {
    expect(at('yesterday')).toBeUndefined();
  });
});

describe('when building the document', () => {
  const event: LogEvent = {
    event_id: 'e1',
    project_id: 3,
    timestamp: '2026-11-01T10:00:00.000Z',
    ingest_ts: '2026-11-01T10:00:01.000Z',
    service: 'api',
    level: 'INFO',
    message: 'hello',
  };

  it('does make the id of the project, the time and the event_id, as PostgreSQL keys an event', () => {
    expect(documentId(event)).toBe('3:2026-11-01T10:00:00.000Z:e1');
    expect(documentId({ ...event, timestamp: '2026-11-01T10:00:00.001Z' })).not.toBe(documentId(event));
  });

  const derived = (over: Record<string, unknown>) => ({ words: ['hello', 'api'], fields: [], field_names: [], nums: [], sv: 1, ...over });

  it('does store only the fields that are set, and the terms search reads', () => {
    expect(toDocument(event)).toEqual({ ...event, ...derived({}) });
    expect(toDocument({ ...event, host: 'h', metadata: { a: 1 } })).toEqual({
      ...event,
      host: 'h',
      metadata: { a: 1 },
      ...derived({ words: ['hello', 'api', 'h'], fields: ['a=1'], field_names: ['a'], nums: [numberTerm('a', 1)] }),
    });
  });

  it('does keep the terms out of what a hit returns', () => {
    expect(indexTemplate('ns').template.mappings._source.excludes).toEqual(expect.arrayContaining(['words', 'fields', 'field_names', 'nums', 'sv']));
  });

  it('does leave out a key that the mapping does not know', () => {
    const stray = { ...event, extra: 1 } as LogEvent;
    expect(toDocument(stray)).not.toHaveProperty('extra');
  });

  it('does target only the namespace indices', () => {
    expect(indexTemplate('ns').index_patterns).toEqual(['ns-logs-*']);
  });
});
