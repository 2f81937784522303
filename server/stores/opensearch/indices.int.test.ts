import { MAPPINGS } from './mapping.ts';
import { MATCH_ALL } from '../../../shared/query/tree.ts';
import { afterAll, describe, expect, it } from 'vitest';
import type { LogEvent } from '../../../shared/event.ts';
import { dropOpenSearchNamespace, OPENSEARCH_URL, uniqueName } from '../../../test/helpers.ts';
import { createOpenSearchSearch } from './search.ts';
import { createOpenSearchSink } from './sink.ts';

// What one project's events can do to the cluster every project shares: how many indices they make,
// whether the mapping grows, whether a batch can be too large to be taken.

const namespaces: string[] = [];
afterAll(async () => {
  for (const ns of namespaces) await dropOpenSearchNamespace(ns);
});

function open(maxBulkChars?: number) {
  const namespace = uniqueName('lfix');
  namespaces.push(namespace);
  const sink = createOpenSearchSink({ url: OPENSEARCH_URL, namespace, maxBulkChars });
  const search = createOpenSearchSearch({ url: OPENSEARCH_URL, namespace });
  const get = async (p: string) => (await fetch(`${OPENSEARCH_URL}/${namespace}-logs-*${p}`)).json();
  return {
    namespace,
    sink,
    search,
    indices: async () => ((await (await fetch(`${OPENSEARCH_URL}/_cat/indices/${namespace}-logs-*?format=json&h=index`)).json()) as { index: string }[]).map((i) => i.index).sort(),
    count: async () => {
      await fetch(`${OPENSEARCH_URL}/${namespace}-logs-*/_refresh`, { method: 'POST' });
      return ((await get('/_count')) as { count: number }).count;
    },
    mapping: async () => get('/_mapping'),
    close: async () => {
      await sink.close();
      await search.close();
    },
  };
}

const INGEST = '2026-11-02T10:00:00.000Z';
const event = (id: string, timestamp: string, over: Partial<LogEvent> = {}): LogEvent => ({
  event_id: id,
  project_id: 1,
  timestamp,
  ingest_ts: INGEST,
  service: 'api',
  level: 'INFO',
  message: `message ${id}`,
  ...over,
});

describe('when a project sends events with scattered past dates', () => {
  it('does keep them in a few coarse indices, searchable, instead of an index per day', async () => {
    const s = open();
    try {
      await s.sink.prepare();
      // 400 dates over 300 years, as one hostile request can hold them.
      const old = Array.from({ length: 400 }, (_, i) => event(`old${i}`, new Date(Date.parse(INGEST) - (i + 1) * 86_400_000 * 277).toISOString()));
      const recent = [event('today', '2026-11-02T09:00:00.000Z'), event('last-month', '2026-10-05T09:00:00.000Z')];
      expect((await s.sink.write([...old, ...recent])).every((r) => r.status === 'ok')).toBe(true);
      const indices = await s.indices();
      expect(indices.length).toBeLessThanOrEqual(2 + 24 + 1);
      expect(indices).toContain(`${s.namespace}-logs-older`);
      expect(indices).toContain(`${s.namespace}-logs-2026.11.02`);
      expect(indices).toContain(`${s.namespace}-logs-2026.10.05`);
      expect(await s.count()).toBe(402);
      const page = await s.search.search({ projectId: 1, query: MATCH_ALL, limit: 1000, toMs: Date.parse('1800-01-01T00:00:00Z') });
      expect(page.hits.length).toBe(old.filter((e) => e.timestamp < '1800').length);
    } finally {
      await s.close();
    }
  });

  it('does store an old event once when it comes again after a new month made it coarser', async () => {
    const s = open();
    try {
      await s.sink.prepare();
      const first = event('late', '2026-09-20T08:00:00.000Z', { ingest_ts: '2026-10-31T23:59:59.000Z' });
      const again = { ...first, ingest_ts: '2026-11-01T00:00:05.000Z' };
      expect(await s.sink.write([first])).toEqual([{ status: 'ok' }]);
      expect(await s.sink.write([again, { ...again, event_id: 'other' }])).toEqual([{ status: 'ok' }, { status: 'ok' }]);
      expect(await s.count()).toBe(2);
      expect(await s.indices()).toEqual([`${s.namespace}-logs-2026.09`, `${s.namespace}-logs-2026.09.20`]);
    } finally {
      await s.close();
    }
  });

  it('does store an event once when one batch holds it twice, bound for two indices', async () => {
    const s = open();
    try {
      await s.sink.prepare();
      const first = event('twice', '2026-09-20T08:00:00.000Z', { ingest_ts: '2026-10-31T23:59:59.000Z' });
      expect(await s.sink.write([first, { ...first, ingest_ts: '2026-11-01T00:00:05.000Z' }])).toEqual([{ status: 'ok' }, { status: 'ok' }]);
      expect(await s.count()).toBe(1);
    } finally {
      await s.close();
    }
  });
});

describe('when events are large or carry many fields', () => {
  it('does write a batch larger than one bulk request may be, in several, each event with its own answer', async () => {
    const s = open(1_000_000);
    try {
      await s.sink.prepare();
      // 12 events of 300 KB in requests of at most 1 MB: four requests; two events OpenSearch refuses among them.
      const big = Array.from({ length: 12 }, (_, i) => event(`big${i}`, '2026-11-02T09:00:00.000Z', { metadata: { blob: String(i % 10).repeat(300_000) } }));
      big[4] = { ...big[4]!, timestamp: '2026-02-30T10:00:00.000Z' };
      big[10] = { ...big[10]!, timestamp: '2026-02-30T10:00:00.000Z' };
      const results = await s.sink.write(big);
      expect(results.map((r) => r.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'reject', 'ok', 'ok', 'ok', 'ok', 'ok', 'reject', 'ok']);
      expect(await s.count()).toBe(10);
    } finally {
      await s.close();
    }
  });

  it('does not grow the mapping, whatever keys the metadata holds', async () => {
    const s = open();
    try {
      await s.sink.prepare();
      const metadata = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`field_${i}`, { nested: i }]));
      expect(await s.sink.write([event('wide', '2026-11-02T09:00:00.000Z', { metadata })])).toEqual([{ status: 'ok' }]);
      const mapping = Object.values((await s.mapping()) as Record<string, { mappings: { dynamic: string; properties: Record<string, unknown> } }>)[0]!.mappings;
      expect(mapping.dynamic).toBe('strict');
      // Exactly the fields the template names: none per metadata key.
      expect(Object.keys(mapping.properties).sort()).toEqual(Object.keys(MAPPINGS.properties).sort());
      expect(mapping.properties.metadata).toEqual({ type: 'object', enabled: false });
    } finally {
      await s.close();
    }
  });
});
