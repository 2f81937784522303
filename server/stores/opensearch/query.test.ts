import { describe, expect, it } from 'vitest';
import { fromHit, toSearchBody, toSearchPage, type RawHit } from './query.ts';

const filtersOf = (body: ReturnType<typeof toSearchBody>) => body.query.bool.filter;

describe('when translating a query', () => {
  it('does always scope to the project and nothing else when only a project is given', () => {
    const body = toSearchBody({ projectId: 7, limit: 10 });
    expect(filtersOf(body)).toEqual([{ term: { project_id: 7 } }]);
    expect(body.sort).toEqual([{ timestamp: 'desc' }, { event_id: 'desc' }]);
    expect(body.track_total_hits).toBe(false);
    expect(body.search_after).toBeUndefined();
  });

  it('does ask for one hit more than the limit, to know whether another page exists', () => {
    expect(toSearchBody({ projectId: 1, limit: 10 }).size).toBe(11);
  });

  it('does filter by service, levels and a half-open time range in epoch millis', () => {
    const body = toSearchBody({ projectId: 1, service: 'api', levels: ['WARN', 'ERROR'], fromMs: 1000, toMs: 2000, limit: 5 });
    expect(filtersOf(body)).toEqual([
      { term: { project_id: 1 } },
      { term: { service: 'api' } },
      { terms: { level: ['WARN', 'ERROR'] } },
      { range: { timestamp: { format: 'epoch_millis', gte: 1000, lt: 2000 } } },
    ]);
  });

  it('does accept an open-ended range on either side', () => {
    expect(filtersOf(toSearchBody({ projectId: 1, fromMs: 5, limit: 1 }))[1]).toEqual({ range: { timestamp: { format: 'epoch_millis', gte: 5 } } });
    expect(filtersOf(toSearchBody({ projectId: 1, toMs: 9, limit: 1 }))[1]).toEqual({ range: { timestamp: { format: 'epoch_millis', lt: 9 } } });
  });

  it('does treat an empty level list as no level filter', () => {
    expect(filtersOf(toSearchBody({ projectId: 1, levels: [], limit: 1 }))).toHaveLength(1);
  });

  it('does match text with every word required and no query operators', () => {
    const [, text] = filtersOf(toSearchBody({ projectId: 1, text: '  payment -timeout ( ', limit: 1 }));
    expect(text).toEqual({ simple_query_string: { query: 'payment -timeout (', fields: ['message'], default_operator: 'and', flags: 'NONE' } });
  });

  it('does ignore text that is only whitespace', () => {
    expect(filtersOf(toSearchBody({ projectId: 1, text: '   ', limit: 1 }))).toHaveLength(1);
  });

  it('does continue after the cursor', () => {
    expect(toSearchBody({ projectId: 1, limit: 1, after: { timestampMs: 123, eventId: 'e9' } }).search_after).toEqual([123, 'e9']);
  });
});

const source = (id: string, extra: Record<string, unknown> = {}) => ({
  event_id: id,
  project_id: 1,
  timestamp: '2026-11-01T10:00:00.000Z',
  ingest_ts: '2026-11-01T10:00:01.000Z',
  service: 'api',
  level: 'INFO',
  message: `m ${id}`,
  ...extra,
});

describe('when reading hits back', () => {
  it('does omit optional fields that were not stored', () => {
    const e = fromHit(source('a'));
    expect(e).toEqual(source('a'));
    expect(Object.keys(e)).not.toContain('trace_id');
    expect(Object.keys(e)).not.toContain('metadata');
  });

  it('does keep optional fields and metadata that were stored', () => {
    const extra = { trace_id: 't', request_id: 'r', host: 'h', env: 'prod', metadata: { a: { b: [1, 'x'] } } };
    expect(fromHit(source('a', extra))).toEqual(source('a', extra));
  });

  it('does give no cursor when the extra hit did not come back', () => {
    const hits: RawHit[] = [{ _source: source('b'), sort: [2, 'b'] }, { _source: source('a'), sort: [1, 'a'] }];
    expect(toSearchPage(hits, 2)).toEqual({ hits: [source('b'), source('a')] });
  });

  it('does drop the extra hit and point the cursor at the last hit returned', () => {
    const hits: RawHit[] = [
      { _source: source('c'), sort: [3, 'c'] },
      { _source: source('b'), sort: [3, 'b'] },
      { _source: source('a'), sort: [1, 'a'] },
    ];
    const page = toSearchPage(hits, 2);
    expect(page.hits.map((h) => h.event_id)).toEqual(['c', 'b']);
    expect(page.nextCursor).toEqual({ timestampMs: 3, eventId: 'b' });
  });

  it('does fall back to the source when a hit carries no sort values', () => {
    const page = toSearchPage([{ _source: source('b') }, { _source: source('a') }], 1);
    expect(page.nextCursor).toEqual({ timestampMs: Date.parse('2026-11-01T10:00:00.000Z'), eventId: 'b' });
  });
});
