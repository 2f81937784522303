import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import pg from 'pg';
import type { LogEvent } from '../shared/event.ts';
import { EventStream } from '../server/queue/stream.ts';

// Each test owns its Redis keys (namespace), its database and its index names, and removes them.

export const REDIS_URL = process.env.LOGFLOW_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const OPENSEARCH_URL = process.env.LOGFLOW_TEST_OPENSEARCH_URL ?? 'http://127.0.0.1:9200';
const PG_ADMIN_URL = process.env.LOGFLOW_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A name nobody else uses: lowercase, safe for Redis keys, databases and index names. */
export function uniqueName(prefix = 't'): string {
  return `${prefix}${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
}

/** A fresh, empty database; drop() removes it even when connections are still open. */
export async function createTestDatabase(): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = uniqueName('logflow_test_');
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Deletes every Redis key of a namespace (the stream, dead letters, the key list, limits ...). */
export async function dropRedisNamespace(redis: Redis, namespace: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/** How many events a namespace's stream holds, as the queue counts them (an entry holds a batch). */
export async function queuedEventCount(redis: Redis, namespace: string): Promise<number> {
  return new EventStream(redis, namespace).backlog();
}

/** The last `n` events of a namespace's stream, oldest first, read as live tail reads them. */
export async function lastQueuedEvents(redis: Redis, namespace: string, n: number): Promise<LogEvent[]> {
  const follower = new EventStream(redis, namespace).follower();
  try {
    const { lastId } = await follower.positions();
    const all = await follower.rangeAfter('0-0', lastId, 1_000_000);
    return all.slice(-n).map((d) => ('event' in d ? d.event : (JSON.parse(d.raw) as LogEvent)));
  } finally {
    follower.close();
  }
}

/** Deletes a namespace's indices and index template from OpenSearch. */
export async function dropOpenSearchNamespace(namespace: string): Promise<void> {
  await fetch(`${OPENSEARCH_URL}/${namespace}-logs-*?expand_wildcards=all`, { method: 'DELETE' });
  await fetch(`${OPENSEARCH_URL}/_index_template/${namespace}-logs`, { method: 'DELETE' });
}

/** Polls until check() returns a value that is not undefined, or fails after timeoutMs with the last value. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 60_000, what = 'condition'): Promise<T> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
