import { afterAll, describe, expect, it } from 'vitest';
import type { LogEvent } from '../../shared/event.ts';
import { parseQuery } from '../../shared/query/parse.ts';
import { openPool } from '../db.ts';
import { createTestDatabase, dropOpenSearchNamespace, OPENSEARCH_URL, uniqueName } from '../../test/helpers.ts';
import { createOpenSearchSearch } from './opensearch/search.ts';
import { createOpenSearchSink } from './opensearch/sink.ts';
import { createPostgresSearch } from './postgres/search.ts';
import { createPostgresSink } from './postgres/sink.ts';

// An installation from before searchable metadata, brought up to date by what `logflow migrate` and
// a worker's start run (sink.prepare): what it held stays found as before, and new events are found
// by every field, also those that land in an index or table created before the upgrade.

const old: LogEvent = {
  event_id: 'old-1',
  project_id: 1,
  timestamp: '2026-11-01T10:00:00.000Z',
  ingest_ts: '2026-11-01T10:00:01.000Z',
  service: 'api',
  level: 'ERROR',
  message: 'Payment failed for order 7',
  request_id: 'req-9',
  metadata: { err: { code: 'E1' } },
};
const fresh: LogEvent = { ...old, event_id: 'new-1', timestamp: '2026-11-01T11:00:00.000Z', message: 'charge refused', metadata: { err: { code: 'E1', message: 'card declined' } } };
const ids = (hits: LogEvent[]) => hits.map((h) => h.event_id).sort();

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

describe('when PostgreSQL logs were written before the search column', () => {
  it('does keep finding old rows by their message and fields, and finds new rows by metadata', async () => {
    const db = await createTestDatabase();
    const pool = openPool(db.url);
    cleanups.push(async () => {
      await pool.end();
      await db.drop();
    });
    // The schema and a row as the previous release wrote them.
    await pool.query(`CREATE TABLE projects (id bigserial primary key, name text not null unique, api_key_hash text not null unique, is_active boolean not null default true, created_at timestamptz not null default now());
      INSERT INTO projects (id, name, api_key_hash) VALUES (1, 'p', 'h');
      CREATE TABLE logs (id bigserial PRIMARY KEY, project_id bigint NOT NULL REFERENCES projects (id), event_id text COLLATE "C" NOT NULL, ts timestamptz NOT NULL,
        ingest_ts timestamptz NOT NULL, service text NOT NULL, level text NOT NULL, message text NOT NULL, trace_id text NULL, request_id text NULL, host text NULL,
        env text NULL, metadata jsonb NULL, CONSTRAINT logs_project_event_key UNIQUE (project_id, event_id));
      CREATE INDEX logs_message_fts_idx ON logs USING gin (to_tsvector('simple', message));`);
    await pool.query(`INSERT INTO logs (project_id, event_id, ts, ingest_ts, service, level, message, request_id, metadata) VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8)`, [
      old.event_id, old.timestamp, old.ingest_ts, old.service, old.level, old.message, old.request_id, JSON.stringify(old.metadata),
    ]);
    const sink = createPostgresSink({ pool });
    await sink.prepare();
    expect(await sink.write([fresh])).toEqual([{ status: 'ok' }]);
    const search = createPostgresSearch({ pool });
    const find = async (q: string) => ids((await search.search({ projectId: 1, query: parseQuery(q), limit: 10 })).hits);
    expect(await find('payment failed')).toEqual(['old-1']);
    expect(await find('service:api level:ERROR request_id:req-9')).toEqual(['new-1', 'old-1']);
    expect(await find('err.code:E1')).toEqual(['new-1']);
    expect(await find('card declined')).toEqual(['new-1']);
    expect(await find('-payment')).toEqual(['new-1']);
  });
});

describe('when OpenSearch indices were created before the search fields', () => {
  it('does take new events into the old index and finds old documents by their message', async () => {
    const namespace = uniqueName('lfmig');
    cleanups.push(() => dropOpenSearchNamespace(namespace));
    const put = (path: string, body: unknown) => fetch(`${OPENSEARCH_URL}${path}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    // The previous release's mapping, strict, and a document as it wrote them.
    const kw = { type: 'keyword' };
    const oldMappings = {
      dynamic: 'strict',
      properties: {
        event_id: kw, project_id: { type: 'long' }, timestamp: { type: 'date' }, ingest_ts: { type: 'date' }, service: kw, level: kw,
        message: { type: 'text', analyzer: 'standard' }, trace_id: kw, request_id: kw, host: kw, env: kw, metadata: { type: 'object', enabled: false },
      },
    };
    expect((await put(`/${namespace}-logs-2026.11.01`, { settings: { number_of_shards: 1, number_of_replicas: 0 }, mappings: oldMappings })).ok).toBe(true);
    expect((await put(`/${namespace}-logs-2026.11.01/_doc/1:old-1?refresh=true`, old)).ok).toBe(true);
    const sink = createOpenSearchSink({ url: OPENSEARCH_URL, namespace });
    const search = createOpenSearchSearch({ url: OPENSEARCH_URL, namespace });
    cleanups.push(async () => {
      await sink.close();
      await search.close();
    });
    await sink.prepare();
    expect(await sink.write([fresh])).toEqual([{ status: 'ok' }]);
    await fetch(`${OPENSEARCH_URL}/${namespace}-logs-*/_refresh`, { method: 'POST' });
    const find = async (q: string) => ids((await search.search({ projectId: 1, query: parseQuery(q), limit: 10 })).hits);
    expect(await find('payment failed')).toEqual(['old-1']);
    expect(await find('service:api level:ERROR request_id:req-9')).toEqual(['new-1', 'old-1']);
    expect(await find('err.code:E1')).toEqual(['new-1']);
    expect(await find('card declined')).toEqual(['new-1']);
    expect(await find('-payment')).toEqual(['new-1']);
  });
});
