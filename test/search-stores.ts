import type pg from 'pg';
import type { LogEvent } from '../shared/event.ts';
import { openPool } from '../server/db.ts';
import { createOpenSearchSearch } from '../server/stores/opensearch/search.ts';
import { createOpenSearchSink } from '../server/stores/opensearch/sink.ts';
import { createPostgresSearch } from '../server/stores/postgres/search.ts';
import { createPostgresSink } from '../server/stores/postgres/sink.ts';
import type { SearchBackend } from '../server/stores/types.ts';
import { createTestDatabase, dropOpenSearchNamespace, OPENSEARCH_URL, uniqueName } from './helpers.ts';

export interface SearchStores {
  backends: { name: 'opensearch' | 'postgres'; search: SearchBackend }[];
  pool: pg.Pool;
  namespace: string;
  close(): Promise<void>;
}

/**
 * The same events written through the real sinks to a database and an OpenSearch namespace of their
 * own, and a search backend over each, so a test can ask both the same question.
 */
export async function openSearchStores(events: LogEvent[], projects = [1, 2]): Promise<SearchStores> {
  const db = await createTestDatabase();
  const pool = openPool(db.url);
  await pool.query('CREATE TABLE IF NOT EXISTS projects (id bigserial primary key, name text not null unique, api_key_hash text not null unique, is_active boolean not null default true, created_at timestamptz not null default now())');
  for (const id of projects) await pool.query('INSERT INTO projects (id, name, api_key_hash) VALUES ($1, $2, $3)', [id, `p${id}`, `h${id}`]);
  const namespace = uniqueName('lfsearch');
  const pgSink = createPostgresSink({ pool });
  const osSink = createOpenSearchSink({ url: OPENSEARCH_URL, namespace });
  await pgSink.prepare();
  await osSink.prepare();
  for (const sink of [pgSink, osSink]) {
    const results = await sink.write(events);
    const bad = results.map((r, i) => [r, events[i]?.event_id] as const).filter(([r]) => r.status !== 'ok');
    if (bad.length) throw new Error(`${sink.name} did not take every event: ${JSON.stringify(bad).slice(0, 2000)}`);
  }
  await fetch(`${OPENSEARCH_URL}/${namespace}-logs-*/_refresh`, { method: 'POST' });
  const os = createOpenSearchSearch({ url: OPENSEARCH_URL, namespace });
  return {
    backends: [
      { name: 'opensearch', search: os },
      { name: 'postgres', search: createPostgresSearch({ pool }) },
    ],
    pool,
    namespace,
    async close() {
      await osSink.close();
      await os.close();
      await pool.end();
      await db.drop();
      await dropOpenSearchNamespace(namespace);
    },
  };
}
