import { describe, expect, it } from 'vitest';
import { parseQuery } from '../../../shared/query/parse.ts';
import type { SearchQuery } from '../../../shared/query/search.ts';
import { numberTerm } from '../../../shared/query/terms.ts';
import { MATCH_ALL } from '../../../shared/query/tree.ts';
import { fromHit, toSearchBody, toSearchPage, type RawHit } from './query.ts';
import { checkComplete } from './search.ts';

const filtersOf = (body: ReturnType<typeof toSearchBody>) => body.query.bool.filter;

const base = { projectId: 1, limit: 5, query: MATCH_ALL };
const body = (text: string, over: Partial<SearchQuery> = {}) => toSearchBody({ ...base, query: parseQuery(text), ...over });

describe('when translating a query', () => {
  it('does always scope to the project and nothing else when only a project is given', () => {
    const b = toSearchBody({ ...base, projectId: 7, limit: 10 });
    expect(filtersOf(b)).toEqual([{ term: { project_id: 7 } }]);
    expect(b.sort).toEqual([{ timestamp: 'desc' }, { event_id: 'desc' }]);
    expect(b.track_total_hits).toBe(false);
    expect(b.search_after).toBeUndefined();
  });

  it('does ask for one hit more than the limit, to know whether another page exists', () => {
    expect(toSearchBody({ ...base, limit: 10 }).size).toBe(11);
  });

  it('does filter by service, levels and a half-open time range in epoch millis', () => {
    expect(filtersOf(body('service:api level:>=WARN', { fromMs: 1000, toMs: 2000 }))).toEqual([
      { term: { project_id: 1 } },
      { range: { timestamp: { format: 'epoch_millis', gte: 1000, lt: 2000 } } },
      { term: { service: 'api' } },
      { terms: { level: ['WARN', 'ERROR'] } },
    ]);
  });

  it('does accept an open-ended range on either side', () => {
    expect(filtersOf(toSearchBody({ ...base, fromMs: 5 }))[1]).toEqual({ range: { timestamp: { format: 'epoch_millis', gte: 5 } } });
    expect(filtersOf(toSearchBody({ ...base, toMs: 9 }))[1]).toEqual({ range: { timestamp: { format: 'epoch_millis', lt: 9 } } });
  });

  it('does match no event for an unknown level rather than every event', () => {
    expect(filtersOf(body('level:LOUD'))[1]).toEqual({ match_none: {} });
  });

  it('does look words up as LogFlow cut them, and older documents by their message', () => {
    const [, word] = filtersOf(body('Req-123'));
    expect(word).toEqual({
      bool: {
        should: [
          { match_phrase: { words: { query: 'req 123', analyzer: 'whitespace' } } },
          { bool: { must_not: [{ exists: { field: 'sv' } }], filter: [{ match: { message: { query: 'Req-123', operator: 'and' } } }] } },
        ],
        minimum_should_match: 1,
      },
    });
  });

  it('does use term-level queries only for fields, numbers and exclusions', () => {
    const [, code, status, excluded] = filtersOf(body('err.code:ECONNRESET http.status:>=500 -host:web-1'));
    expect(code).toEqual({ term: { fields: 'err.code=ECONNRESET' } });
    expect(status).toEqual({ range: { nums: { gte: numberTerm('http.status', 500), lte: numberTerm('http.status', Infinity) } } });
    expect(excluded).toEqual({ bool: { must_not: [{ term: { host: 'web-1' } }] } });
  });

  it('does ignore text that holds no word', () => {
    expect(filtersOf(body('  -- | ( '))).toHaveLength(1);
  });

  it('does continue after the cursor', () => {
    expect(toSearchBody({ ...base, after: { timestampMs: 123, eventId: 'e9' } }).search_after).toEqual([123, 'e9']);
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

describe('when OpenSearch cuts a search short at its timeout', () => {
  it('does show no partial answer: it is the search timeout, saying so', () => {
    expect(() => checkComplete({ timed_out: true, hits: { hits: [] } }, 30_000)).toThrow(/ran in OpenSearch for longer than 30 s \(LOGFLOW_SEARCH_TIMEOUT_MS\)/);
    expect(checkComplete({ timed_out: false, hits: { hits: [] } }, 30_000)).toEqual({ timed_out: false, hits: { hits: [] } });
  });
});
