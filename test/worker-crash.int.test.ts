import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stop } from './cli.ts';
import { eventually, OPENSEARCH_URL, REDIS_URL } from './helpers.ts';
import { startStack, type Stack } from './stack.ts';

const TOTAL = 5000;

async function pendingOf(redis: Redis, stream: string, group: string): Promise<number> {
  const [count] = (await redis.xpending(stream, group)) as [number];
  return count;
}

describe('when a worker is killed with SIGKILL in the middle of a batch', () => {
  let stack: Stack;
  let key: string;
  const redis = new Redis(REDIS_URL);
  let db: pg.Client;

  beforeAll(async () => {
    // Small batches and a short claim time, so the takeover happens within the test.
    stack = await startStack({ opensearch: true, workerEnv: { LOGFLOW_WORKER_BATCH: '200', LOGFLOW_CLAIM_IDLE_MS: '1000' } });
    key = await stack.createProject('shop');
    db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    redis.disconnect();
    await stack?.destroy();
  });

  it('makes every event searchable exactly once after another worker takes over', async () => {
    const send = async (b: number) => {
      const events = Array.from({ length: 500 }, (_, i) => ({
        event_id: `crash-${b * 500 + i}`,
        timestamp: new Date(Date.parse('2026-11-02T00:00:00Z') + b * 500 + i).toISOString(),
        service: 'api',
        level: 'INFO',
        message: `event number ${b * 500 + i}`,
      }));
      const res = await fetch(`${stack.url}/logs`, { method: 'POST', body: JSON.stringify(events), headers: { 'x-api-key': key, 'content-type': 'application/json' } });
      expect(res.status).toBe(200); // exactly 200 when every event is stored (shared/http.ts ingestReply)
    };
    // The first batch written, so the worker is past its start (its sinks' first reads of the table).
    await send(0);
    await eventually(async () => ((await db.query('SELECT count(*)::int AS n FROM logs')).rows[0].n === 500 ? true : undefined), 30_000, 'the first batch in PostgreSQL');
    // Hold the logs table so the worker's PostgreSQL write hangs mid-batch: it has read the entries,
    // has not acknowledged them, and dies there.
    await db.query('BEGIN');
    await db.query('LOCK TABLE logs IN ACCESS EXCLUSIVE MODE');
    for (let b = 1; b < TOTAL / 500; b++) await send(b);
    const stream = `${stack.namespace}:events`;
    await eventually(async () => ((await pendingOf(redis, stream, 'postgres')) > 0 ? true : undefined), 30_000, 'the worker to hold a batch');
    await stop(stack.worker, 'SIGKILL');
    expect(await pendingOf(redis, stream, 'postgres')).toBeGreaterThan(0);
    await db.query('COMMIT');

    stack.startWorker();
    await eventually(async () => {
      const { rows } = await db.query('SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS d FROM logs');
      return rows[0].n === TOTAL ? rows[0] : undefined;
    }, 90_000, 'PostgreSQL to hold every event');
    await fetch(`${OPENSEARCH_URL}/${stack.namespace}-logs-*/_refresh`, { method: 'POST' });
    await eventually(async () => {
      await fetch(`${OPENSEARCH_URL}/${stack.namespace}-logs-*/_refresh`, { method: 'POST' });
      const r = await fetch(`${OPENSEARCH_URL}/${stack.namespace}-logs-*/_count`);
      const { count } = (await r.json()) as { count: number };
      return count === TOTAL ? true : undefined;
    }, 90_000, 'OpenSearch to hold every event');
    for (const group of ['opensearch', 'postgres', 'file']) {
      await eventually(async () => ((await pendingOf(redis, stream, group)) === 0 ? true : undefined), 30_000, `${group} to acknowledge everything`);
    }

    // Searchable exactly once, through the API a user has.
    const seen = new Set<string>();
    let cursor: string | null = null;
    do {
      const r = await fetch(`${stack.url}/search?limit=1000${cursor ? `&cursor=${cursor}` : ''}`, { headers: { 'x-api-key': key } });
      const page = (await r.json()) as { hits: { event_id: string }[]; next_cursor: string | null };
      for (const h of page.hits) {
        expect(seen.has(h.event_id)).toBe(false);
        seen.add(h.event_id);
      }
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen.size).toBe(TOTAL);
    const { rows } = await db.query('SELECT count(*)::int AS n FROM logs');
    expect(rows[0].n).toBe(TOTAL);

    // The file archive is at-least-once: every event is there (a batch cut by the kill may repeat).
    const dir = path.join(stack.fileDir, (await readdir(stack.fileDir))[0]!);
    const ids = new Set<string>();
    for (const f of await readdir(dir)) {
      for (const line of (await readFile(path.join(dir, f), 'utf8')).split('\n').filter(Boolean)) ids.add(JSON.parse(line).event_id);
    }
    expect(ids.size).toBe(TOTAL);
  });
});
