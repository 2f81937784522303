import { afterAll, describe, expect, it } from 'vitest';
import type { LogEvent } from '../../../shared/event.ts';
import { LogFlowError } from '../../../shared/errors.ts';
import { parseQuery } from '../../../shared/query/parse.ts';
import type { SearchQuery } from '../../../shared/query/search.ts';
import { MATCH_ALL } from '../../../shared/query/tree.ts';
import { dropOpenSearchNamespace, OPENSEARCH_URL, uniqueName } from '../../../test/helpers.ts';
import type { SearchBackend, Sink } from '../types.ts';
import { createOpenSearchSearch } from './search.ts';
import { createOpenSearchSink } from './sink.ts';

interface Store {
  namespace: string;
  sink: Sink;
  search: SearchBackend;
  /** Makes what was written visible to search now rather than within refresh_interval. */
  refresh: () => Promise<void>;
}

const opened: Store[] = [];

/** A sink and a search backend over a namespace of their own, removed after the file. */
async function openStore(): Promise<Store> {
  const namespace = uniqueName('lfos');
  const store: Store = {
    namespace,
    sink: createOpenSearchSink({ url: OPENSEARCH_URL, namespace }),
    search: createOpenSearchSearch({ url: OPENSEARCH_URL, namespace }),
    refresh: async () => {
      const res = await fetch(`${OPENSEARCH_URL}/${namespace}-logs-*/_refresh`, { method: 'POST' });
      expect(res.ok).toBe(true);
    },
  };
  opened.push(store);
  await store.sink.prepare();
  return store;
}

afterAll(async () => {
  for (const s of opened) {
    await s.sink.close();
    await s.search.close();
    await dropOpenSearchNamespace(s.namespace);
  }
});

const BASE = Date.parse('2026-11-01T10:00:00.000Z');

function event(id: string, over: Partial<LogEvent> = {}): LogEvent {
  return {
    event_id: id,
    project_id: 1,
    timestamp: new Date(BASE).toISOString(),
    ingest_ts: new Date(BASE + 1000).toISOString(),
    service: 'api',
    level: 'INFO',
    message: `message ${id}`,
    ...over,
  };
}

const query = (over: Partial<SearchQuery> = {}): SearchQuery => ({ projectId: 1, limit: 100, query: MATCH_ALL, ...over });
const q = (text: string, over: Partial<SearchQuery> = {}): SearchQuery => query({ query: parseQuery(text), ...over });
const ids = async (store: Store, q: SearchQuery) => (await store.search.search(q)).hits.map((h) => h.event_id).sort();

describe('when a batch is written', () => {
  it('does store every event so that search returns it as it was', async () => {
    const s = await openStore();
    const full = event('full', { trace_id: 't1', request_id: 'r1', host: 'web-1', env: 'prod', metadata: { user: { id: 42 }, tags: ['a', 'b'] } });
    const batch = [full, event('plain')];
    expect(await s.sink.write(batch)).toEqual([{ status: 'ok' }, { status: 'ok' }]);
    await s.refresh();
    const page = await s.search.search(query());
    expect(page.hits.sort((a, b) => a.event_id.localeCompare(b.event_id))).toEqual([full, event('plain')]);
    expect(page.nextCursor).toBeUndefined();
  });

  it('does take metadata whose shape changes between events, arrays and large values', async () => {
    const s = await openStore();
    const shapes = [{ a: 1 }, { a: { b: 'x' } }, { a: [1, { c: null }, 'z'] }, { a: true, 'a.b': 2, '': 'empty key' }, { stack: 'x'.repeat(40_000) }];
    const first = await s.sink.write(shapes.slice(0, 2).map((metadata, i) => event(`m${i}`, { metadata })));
    const rest = await s.sink.write(shapes.slice(2).map((metadata, i) => event(`m${i + 2}`, { metadata })));
    expect([...first, ...rest].every((r) => r.status === 'ok')).toBe(true);
    await s.refresh();
    const hits = (await s.search.search(query())).hits.sort((a, b) => a.event_id.localeCompare(b.event_id));
    expect(hits.map((h) => h.metadata)).toEqual(shapes);
  });

  it('does store and return metadata keys named __proto__ and constructor as data', async () => {
    const s = await openStore();
    // As the server has it after JSON.parse: own properties, the prototype untouched.
    const metadata = JSON.parse('{"__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}}}') as Record<string, unknown>;
    expect(await s.sink.write([event('proto', { metadata })])).toEqual([{ status: 'ok' }]);
    await s.refresh();
    const [hit] = (await s.search.search(query())).hits;
    expect(Object.getOwnPropertyDescriptor(hit!.metadata, '__proto__')?.value).toEqual({ polluted: 1 });
    expect(JSON.stringify(hit!.metadata)).toBe(JSON.stringify(metadata));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('does store each event once when the same batch is written twice', async () => {
    const s = await openStore();
    const batch = [event('a'), event('b'), event('c')];
    await s.sink.write(batch);
    // The retry of a batch whose answer was lost: every create meets its first copy (409) and is fine.
    expect(await s.sink.write(batch)).toEqual([{ status: 'ok' }, { status: 'ok' }, { status: 'ok' }]);
    await s.refresh();
    expect(await ids(s, query())).toEqual(['a', 'b', 'c']);
  });

  it('does reject only the event OpenSearch refuses, with its reason, and store the others', async () => {
    const s = await openStore();
    // JavaScript reads Feb 30 as Mar 2, so the event gets an index; OpenSearch's strict date parser refuses it.
    const badDate = event('bad-date', { timestamp: '2026-02-30T10:00:00.000Z' });
    const noTime = event('no-time', { timestamp: 'sometime' });
    const results = await s.sink.write([event('before'), badDate, noTime, event('after')]);
    expect(results[0]).toEqual({ status: 'ok' });
    expect(results[1]).toMatchObject({ status: 'reject', reason: expect.stringContaining('mapper_parsing_exception') });
    expect(results[1]).toMatchObject({ reason: expect.stringContaining('2026-02-30') });
    expect(results[2]).toMatchObject({ status: 'reject', reason: expect.stringContaining('sometime') });
    expect(results[3]).toEqual({ status: 'ok' });
    await s.refresh();
    expect(await ids(s, query())).toEqual(['after', 'before']);
  });

  it('does answer an empty batch with no results and no request', async () => {
    const s = await openStore();
    expect(await s.sink.write([])).toEqual([]);
  });
});

describe('when searching', () => {
  it('does answer an empty page before any index exists', async () => {
    const s = await openStore();
    expect(await s.search.search(query())).toEqual({ hits: [] });
  });

  it('does show a project only its own events, even with the same event_id', async () => {
    const s = await openStore();
    const results = await s.sink.write([event('same', { project_id: 1, message: 'one' }), event('same', { project_id: 2, message: 'two' }), event('only1')]);
    expect(results.every((r) => r.status === 'ok')).toBe(true);
    await s.refresh();
    const two = await s.search.search(query({ projectId: 2 }));
    expect(two.hits.map((h) => [h.project_id, h.event_id, h.message])).toEqual([[2, 'same', 'two']]);
    expect(await ids(s, query({ projectId: 1 }))).toEqual(['only1', 'same']);
    expect(await ids(s, query({ projectId: 3 }))).toEqual([]);
  });

  it('does filter by service, levels, every word of the text and a half-open time range', async () => {
    const s = await openStore();
    await s.sink.write([
      event('e1', { service: 'api', level: 'ERROR', message: 'Payment failed: timeout after 30s', timestamp: new Date(BASE).toISOString() }),
      event('e2', { service: 'api', level: 'WARN', message: 'payment slow', timestamp: new Date(BASE + 1000).toISOString() }),
      event('e3', { service: 'worker', level: 'ERROR', message: 'timeout talking to redis', timestamp: new Date(BASE + 2000).toISOString() }),
      event('e4', { service: 'api', level: 'INFO', message: 'payment ok', timestamp: new Date(BASE + 3000).toISOString() }),
    ]);
    await s.refresh();
    expect(await ids(s, q('service:api'))).toEqual(['e1', 'e2', 'e4']);
    expect(await ids(s, q('level:ERROR OR level:WARN'))).toEqual(['e1', 'e2', 'e3']);
    expect(await ids(s, q('payment'))).toEqual(['e1', 'e2', 'e4']);
    expect(await ids(s, q('TIMEOUT payment'))).toEqual(['e1']);
    expect(await ids(s, q('payment -timeout'))).toEqual(['e2', 'e4']);
    // "|" is no operator and no word; "(" neither.
    expect(await ids(s, q('payment | nothing'))).toEqual([]);
    expect(await ids(s, q('"unbalanced ('))).toEqual([]);
    expect(await ids(s, query({ fromMs: BASE + 1000, toMs: BASE + 3000 }))).toEqual(['e2', 'e3']);
    expect(await ids(s, q('service:api level:ERROR timeout', { fromMs: BASE, toMs: BASE + 1 }))).toEqual(['e1']);
  });

  it('does page through 25 events 10 at a time, newest first, each exactly once, ties included', async () => {
    const s = await openStore();
    // Five timestamps with five events each, across midnight so the pages span two daily indices.
    const midnight = Date.parse('2026-11-02T00:00:00.000Z');
    const events = Array.from({ length: 25 }, (_, i) => event(`p${String(i).padStart(2, '0')}`, { timestamp: new Date(midnight + (Math.floor(i / 5) - 2) * 1000).toISOString() }));
    expect((await s.sink.write(events)).every((r) => r.status === 'ok')).toBe(true);
    await s.refresh();
    const expected = [...events].sort((a, b) => Date.parse(b.timestamp) - Date.parse(a.timestamp) || (a.event_id < b.event_id ? 1 : -1)).map((e) => e.event_id);

    const seen: string[] = [];
    const sizes: number[] = [];
    let page = await s.search.search(query({ limit: 10 }));
    for (;;) {
      seen.push(...page.hits.map((h) => h.event_id));
      sizes.push(page.hits.length);
      if (!page.nextCursor) break;
      page = await s.search.search(query({ limit: 10, after: page.nextCursor }));
    }
    expect(sizes).toEqual([10, 10, 5]);
    expect(seen).toEqual(expected);
  });
});

describe('when OpenSearch cannot be reached', () => {
  const url = 'http://127.0.0.1:9';

  it('does throw a transient error from write, prepare and search', async () => {
    const sink = createOpenSearchSink({ url, namespace: 'unreachable' });
    const search = createOpenSearchSearch({ url, namespace: 'unreachable' });
    try {
      const failure = await sink.write([event('x')]).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(LogFlowError);
      expect(failure).toMatchObject({ code: 'STORE_UNAVAILABLE', transient: true });
      await expect(sink.prepare()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', transient: true });
      await expect(search.search(query())).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', transient: true });
    } finally {
      await sink.close();
      await sink.close();
      await search.close();
    }
  });
});
