import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogEvent } from '../../shared/event.ts';
import { parseQuery } from '../../shared/query/parse.ts';
import { histogramAnswer } from '../http/search-routes.ts';
import { fixtureEvent } from '../../test/search-fixture.ts';
import { openSearchStores, type SearchStores } from '../../test/search-stores.ts';

// A known data set: 60 events over an hour, three services, levels in a fixed pattern, a metadata
// field with known values. Every count below is worked out from the data, not read back from a store.
const T0 = Date.parse('2026-11-02T08:00:00.000Z');
const LEVELS = ['INFO', 'INFO', 'WARN', 'ERROR', 'DEBUG'] as const;
const SERVICES = ['api', 'api', 'billing', 'worker'] as const;
const events: LogEvent[] = Array.from({ length: 60 }, (_, i) =>
  fixtureEvent(`h${String(i).padStart(2, '0')}`, {
    timestamp: new Date(T0 + i * 60_000).toISOString(),
    level: LEVELS[i % 5]!,
    service: SERVICES[i % 4]!,
    message: i % 3 === 0 ? `payment failed ${i}` : `request ok ${i}`,
    ...(i % 2 === 0 ? { host: `web-${i % 3}` } : {}),
    metadata: { http: { status: i % 3 === 0 ? 500 : 200 }, tags: i % 10 === 0 ? ['a', 'b'] : ['a'], ...(i < 6 ? { rare: 'x' } : {}) },
  }),
);
events.push(fixtureEvent('elsewhere', { project_id: 2, timestamp: new Date(T0).toISOString(), metadata: { http: { status: 500 } } }));

let stores: SearchStores;
beforeAll(async () => {
  stores = await openSearchStores(events);
});
afterAll(async () => {
  await stores?.close();
});

const mine = events.filter((e) => e.project_id === 1);
const count = (pred: (e: LogEvent) => boolean) => mine.filter(pred).length;

describe.each(['opensearch', 'postgres'] as const)('when %s counts', (name) => {
  const backend = () => stores.backends.find((b) => b.name === name)!.search;

  it('does give histogram counts that add up to what the same search finds', async () => {
    for (const q of ['', 'payment', 'level:>=WARN', '-service:api', 'http.status:500']) {
      const params = new URLSearchParams({ q, from: new Date(T0).toISOString(), to: new Date(T0 + 3_600_000).toISOString() });
      const h = await histogramAnswer(backend(), params, 1);
      const hits = await backend().search({ projectId: 1, query: parseQuery(q), fromMs: T0, toMs: T0 + 3_600_000, limit: 1000 });
      expect(h.total, q).toBe(hits.hits.length);
      expect(h.buckets.reduce((a, b) => a + b.total, 0)).toBe(h.total);
    }
  });

  it('does bucket by level over a range in about 60 buckets', async () => {
    const params = new URLSearchParams({ from: new Date(T0).toISOString(), to: new Date(T0 + 3_600_000).toISOString() });
    const h = await histogramAnswer(backend(), params, 1);
    expect(h.interval_ms).toBe(60_000);
    expect(h.buckets).toHaveLength(60);
    expect(h.buckets[3]).toEqual({ start: new Date(T0 + 3 * 60_000).toISOString(), total: 1, counts: { DEBUG: 0, INFO: 0, WARN: 0, ERROR: 1 } });
    const errors = h.buckets.reduce((a, b) => a + b.counts.ERROR, 0);
    expect(errors).toBe(count((e) => e.level === 'ERROR'));
    const ten = await histogramAnswer(backend(), new URLSearchParams({ ...Object.fromEntries(params), buckets: '10' }), 1);
    expect(ten.interval_ms).toBe(10 * 60_000);
    expect(ten.buckets.map((b) => b.total)).toEqual(Array(6).fill(10));
  });

  it('does find the range itself when none is given', async () => {
    const h = await histogramAnswer(backend(), new URLSearchParams({ q: 'payment' }), 1, T0 + 2 * 3_600_000);
    expect(h.from).toBe(new Date(T0).toISOString());
    expect(h.total).toBe(count((e) => e.message.startsWith('payment')));
  });

  it('does count field names and values exactly', async () => {
    const f = await backend().fields({ projectId: 1, query: parseQuery(''), sample: 10_000, values: 10 });
    expect(f.sampled).toBe(60);
    const field = (n: string) => f.fields.find((x) => x.name === n);
    expect(field('service')).toEqual({ name: 'service', count: 60, values: [{ value: 'api', count: 30 }, { value: 'billing', count: 15 }, { value: 'worker', count: 15 }] });
    expect(field('host')).toEqual({ name: 'host', count: 30, values: [{ value: 'web-0', count: 10 }, { value: 'web-1', count: 10 }, { value: 'web-2', count: 10 }] });
    expect(field('http.status')).toEqual({ name: 'http.status', count: 60, values: [{ value: '200', count: 40 }, { value: '500', count: 20 }] });
    expect(field('tags')).toEqual({ name: 'tags', count: 60, values: [{ value: 'a', count: 60 }, { value: 'b', count: 6 }] });
    expect(field('rare')).toEqual({ name: 'rare', count: 6, values: [{ value: 'x', count: 6 }] });
    expect(field('level')!.values).toEqual([
      { value: 'INFO', count: 24 },
      { value: 'DEBUG', count: 12 },
      { value: 'ERROR', count: 12 },
      { value: 'WARN', count: 12 },
    ]);
    expect(field('trace_id')).toBeUndefined();
    expect(f.fields.map((x) => x.name)).toEqual(['http.status', 'level', 'service', 'tags', 'host', 'rare']);
  });

  it('does count fields over the query and the newest events of the sample only', async () => {
    const f = await backend().fields({ projectId: 1, query: parseQuery('payment'), sample: 5, values: 1 });
    expect(f.sampled).toBe(5);
    // The five newest payment events: i = 57, 54, 51, 48, 45: api, billing, worker, api, api.
    expect(f.fields.find((x) => x.name === 'service')).toEqual({ name: 'service', count: 5, values: [{ value: 'api', count: 3 }] });
    expect(f.fields.find((x) => x.name === 'rare')).toBeUndefined();
  });
});
