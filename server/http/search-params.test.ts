import { describe, expect, it } from 'vitest';
import { LogFlowError } from '../../shared/errors.ts';
import { encodeCursor } from '../../shared/query/search.ts';
import { histogramRange, parseFieldsParams, parseHistogramParams, parseScope, parseSearchParams, TAIL_PARAMS } from './search-params.ts';

const NOW = Date.parse('2026-11-01T12:00:00.000Z');
const search = (qs: string) => parseSearchParams(new URLSearchParams(qs), 1, NOW);
const refused = (fn: () => unknown): LogFlowError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(LogFlowError);
    expect((err as LogFlowError).code).toBe('BAD_REQUEST');
    return err as LogFlowError;
  }
  throw new Error('expected a 400');
};

describe('when reading search parameters', () => {
  it('does add service, level, trace_id and request_id to the query, each on its own', () => {
    const q = search('q=timeout&service=api&level=warn,error&trace_id=t1&request_id=r1');
    expect(q.query.all.map((g) => g[0]!.term)).toEqual([
      { kind: 'text', tokens: ['timeout'], raw: 'timeout' },
      { kind: 'field', field: 'service', value: 'api', prefix: false },
      { kind: 'field', field: 'trace_id', value: 't1', prefix: false },
      { kind: 'field', field: 'request_id', value: 'r1', prefix: false },
      { kind: 'level', levels: ['WARN', 'ERROR'] },
    ]);
  });

  it('does read from and to as times or durations ago, and refuses them reversed', () => {
    expect(search('from=1h&to=2026-11-01T11:30:00Z')).toMatchObject({ fromMs: NOW - 3_600_000, toMs: NOW - 1_800_000 });
    expect(refused(() => search('from=1h&to=2h')).message).toMatch(/from is later than to/);
  });

  it.each([
    ['from=99999999999999d', /^from: "99999999999999d" is outside the times LogFlow can hold/],
    ['to=+275761-01-01T00:00:00Z', /^to: /],
    ['from=yesterday', /^from: "yesterday" is neither an ISO 8601 time/],
    [`cursor=${Buffer.from('[1e300,"x"]').toString('base64url')}`, /^cursor is not one this server gave out/],
    [`cursor=${Buffer.from('[1.5,"x"]').toString('base64url')}`, /^cursor/],
    ['cursor=garbage', /^cursor/],
    // An event id with a NUL or a lone surrogate: no stored event has one, and PostgreSQL refused it with a 500.
    [`cursor=${Buffer.from('[1700000000000,"a\\u0000b"]').toString('base64url')}`, /^cursor is not one this server gave out/],
    [`cursor=${Buffer.from('[1700000000000,"\\ud800"]').toString('base64url')}`, /^cursor is not one this server gave out/],
    ['limit=0', /^limit must be a whole number from 1 to 1000/],
    ['limit=', /^limit/],
    ['limit=2.5', /^limit/],
    ['level=LOUD', /^level: unknown level "LOUD"/],
    ['sort=asc', /^unknown parameter "sort": use q, service, level, trace_id, request_id, from, to, limit, cursor/],
    ['q=a&q=b', /^q is given more than once/],
    [`q=${'x'.repeat(4001)}`, /^q is longer than 4000 characters/],
    [`q=${encodeURIComponent(Array.from({ length: 6 }, (_, i) => `(a${i} b${i})`).join(' OR '))}`, /^q is too complex: it holds more than 300 terms/],
  ])('does answer %s with a 400 that names it', (qs, message) => {
    expect(refused(() => search(qs)).message).toMatch(message);
  });

  it('does take a cursor it gave out', () => {
    expect(search(`cursor=${encodeCursor({ timestampMs: 5, eventId: 'e' })}`).after).toEqual({ timestampMs: 5, eventId: 'e' });
  });
});

describe('when reading histogram, fields and tail parameters', () => {
  it('does take buckets from 1 to 1000 and values from 1 to 100, and nothing of the other routes', () => {
    expect(parseHistogramParams(new URLSearchParams('buckets=10'), 1, NOW).buckets).toBe(10);
    expect(refused(() => parseHistogramParams(new URLSearchParams('buckets=0'), 1, NOW)).message).toMatch(/^buckets must be/);
    expect(refused(() => parseHistogramParams(new URLSearchParams('limit=5'), 1, NOW)).message).toMatch(/^unknown parameter "limit"/);
    expect(parseFieldsParams(new URLSearchParams('values=3'), 1, NOW).values).toBe(3);
    expect(refused(() => parseFieldsParams(new URLSearchParams('values=101'), 1, NOW)).message).toMatch(/^values must be/);
    expect(refused(() => parseScope(new URLSearchParams('from=1h'), 1, TAIL_PARAMS, NOW)).message).toMatch(/^unknown parameter "from"/);
  });

  it('does pick the range of a histogram from the data when none is given', () => {
    const scope = { projectId: 1, query: { all: [] } };
    expect(histogramRange(scope, { minMs: NOW - 7_200_000, maxMs: NOW - 60_000 }, 60, NOW)).toEqual({ fromMs: NOW - 7_200_000, toMs: NOW, intervalMs: 120_000 });
    expect(histogramRange(scope, undefined, 60, NOW)).toEqual({ fromMs: NOW - 3_600_000, toMs: NOW, intervalMs: 60_000 });
  });
});
