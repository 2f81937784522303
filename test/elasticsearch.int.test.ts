import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogEvent } from '../shared/event.ts';
import { startBothStores, type BothStores } from './both-stores.ts';

// The official Elasticsearch client, pointed at LogFlow with the URL and an ApiKey, as an application
// would point it at Elasticsearch: its product check, its `info()`, and its bulk helper, which reads
// the per-item answer to decide what to retry and what to drop. The helper runs twice over the same
// documents, as an agent resends after a timeout: each is stored once.
type Doc = Record<string, unknown>;
const docs: Doc[] = [
  { '@timestamp': '2026-11-01T10:00:01.000Z', message: 'cart updated es-1', 'log.level': 'warn', service: { name: 'cart' }, host: { name: 'web-2' }, trace: { id: 'abc123' }, user: { id: 7 } },
  { '@timestamp': '2026-11-01T10:00:02.250Z', message: 'no service of its own es-2', level: 'error' },
  { '@timestamp': '2026-11-01T10:00:03.000Z', log: 'ERROR upstream timed out es-3' },
  { '@timestamp': '2026-11-01T10:00:04.000Z', message: 'with an id es-4', _order: 'order-7' },
  // The same _id at another time: another event, kept in both stores (PostgreSQL keys an event by its time too).
  { '@timestamp': '2026-11-01T10:00:05.000Z', message: 'the same id at another time es-5', _order: 'order-7' },
  { '@timestamp': '2026-02-30T10:00:00.000Z', message: 'a day that does not exist es-x' },
];

describe('when the Elasticsearch client\'s bulk helper sends to POST /_bulk', () => {
  let both: BothStores;
  let key: string;
  let client: Client;
  const runs: { successful: number; failed: number }[] = [];
  const dropped: { status: number; error: { type?: string; reason?: string } | null; document: Doc }[] = [];
  const createdIds: string[] = [];
  let found: Record<'opensearch' | 'postgres', LogEvent[]>;

  const send = async (datasource: Doc[]) => {
    const stats = await client.helpers.bulk<Doc>({
      datasource,
      // The index names the service of documents that name none, as a date-suffixed index does in Elasticsearch.
      onDocument: (doc) => (doc._order ? { index: { _index: 'orders-2026.11.01', _id: String(doc._order) } } : { create: { _index: 'shop-2026.11.01' } }),
      onDrop: (d) => dropped.push(d as never),
      onSuccess: ({ result }) => createdIds.push((Object.values(result)[0] as { _id: string })._id),
      retries: 1,
      wait: 100,
    });
    runs.push({ successful: stats.successful, failed: stats.failed });
  };

  beforeAll(async () => {
    both = await startBothStores();
    key = await both.stack.createProject('elastic');
    client = new Client({ node: both.stack.url, auth: { apiKey: key } });
    await send(docs);
    await send(docs);
    await send([{ '@timestamp': '2026-11-01T10:00:09.000Z', message: 'sentinel es-last' }]);
    found = await both.search(key, ['--from', '2026-11-01T00:00:00Z', '--to', '2026-11-02T00:00:00Z'], 6);
  });

  afterAll(async () => {
    await client?.close();
    await both?.destroy();
  });

  it('does pass the client\'s product check and tell it an Elasticsearch 8 version', async () => {
    const info = await client.info();
    expect(info.version.number).toMatch(/^8\./);
    expect(info.tagline).toBe('You Know, for Search');
  });

  it('does answer each item as Elasticsearch does: created, or 400 with a reason the helper drops', () => {
    expect(runs).toEqual([{ successful: 5, failed: 1 }, { successful: 5, failed: 1 }, { successful: 1, failed: 0 }]);
    expect(dropped).toHaveLength(2);
    expect(dropped[0]).toMatchObject({ status: 400, error: { type: 'document_parsing_exception', reason: expect.stringMatching(/2026-02-30.* is not a date and time that exists/) }, document: { message: 'a day that does not exist es-x' } });
    expect(createdIds).toContain('order-7');
    expect(createdIds.slice(0, 5)).toEqual(createdIds.slice(5, 10)); // a resent document gets the same id
  });

  for (const store of ['opensearch', 'postgres'] as const) {
    it(`does make every document searchable once, with its fields, in ${store}`, () => {
      const hits = found[store];
      const of = (m: string) => hits.filter((h) => h.message.includes(m));
      expect(hits.map((h) => h.message.match(/es-\w+/)?.[0]).sort()).toEqual(['es-1', 'es-2', 'es-3', 'es-4', 'es-5', 'es-last']);
      expect(of('es-1')[0]).toMatchObject({ service: 'cart', level: 'WARN', timestamp: '2026-11-01T10:00:01.000Z', host: 'web-2', trace_id: 'abc123', metadata: { user: { id: 7 } } });
      expect(of('es-2')[0]).toMatchObject({ service: 'shop', level: 'ERROR', timestamp: '2026-11-01T10:00:02.250Z' });
      expect(of('es-3')[0]).toMatchObject({ service: 'shop', level: 'ERROR', message: 'ERROR upstream timed out es-3' });
      expect(of('es-4')[0]).toMatchObject({ service: 'orders', event_id: 'order-7' });
    });
  }
});
