import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings, type Settings } from '../../shared/config.ts';
import type { LogEvent } from '../../shared/event.ts';
import { createLogger } from '../../shared/logger.ts';
import { freePort } from '../../test/cli.ts';
import { createTestDatabase, eventually, REDIS_URL, uniqueName } from '../../test/helpers.ts';
import { ProjectStore } from '../auth/projects.ts';
import { openPool } from '../db.ts';
import { migrate } from '../migrate.ts';
import { EventStream } from '../queue/stream.ts';
import { Worker } from './worker.ts';

const log = createLogger('silent');

describe('when the worker moves events into PostgreSQL and files', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let settings: Settings;
  let settingsEnv: Record<string, string>;
  let dir: string;
  let pool: pg.Pool;
  let projectId: number;
  const redis = new Redis(REDIS_URL);
  let stream: EventStream;

  const event = (i: number, message = `event ${i}`): LogEvent => ({
    event_id: `w-${i}`,
    project_id: projectId,
    timestamp: `2026-11-0${1 + (i % 2)}T10:00:00.000Z`,
    ingest_ts: '2026-11-02T10:00:00.000Z',
    service: 'api',
    level: 'INFO',
    message,
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(path.join(os.tmpdir(), 'logflow-worker-'));
    // Events of fixed dates, kept whatever day the suite runs (retention runs in the worker).
    settingsEnv = { DATABASE_URL: db.url, REDIS_URL, LOGFLOW_NAMESPACE: uniqueName('t'), LOGFLOW_FILE_DIR: dir, LOGFLOW_RETENTION_DAYS: '36500' };
    settings = loadSettings({ ...settingsEnv, LOGFLOW_SINKS: 'postgres,file' });
    await migrate(settings, log);
    pool = openPool(db.url);
    projectId = (await new ProjectStore(pool).create('shop')).project.id;
    stream = new EventStream(redis, settings.LOGFLOW_NAMESPACE);
  });

  afterAll(async () => {
    await stream?.destroy();
    redis.disconnect();
    await pool?.end();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores good events, dead-letters the one PostgreSQL refuses with its reason, and acknowledges all', async () => {
    await stream.append([event(1), event(2, 'nul \u0000 byte'), event(3), event(4)]);
    const worker = new Worker({ settings, log, trimEveryMs: 200 });
    await worker.start();
    try {
      await eventually(async () => {
        const { rows } = await pool.query('SELECT event_id FROM logs ORDER BY event_id');
        return rows.length === 3 ? rows.map((r) => r.event_id) : undefined;
      }, 20_000, 'three events in PostgreSQL');
      const dead = await eventually(async () => {
        const entries = (await redis.xrange(stream.deadLetterKey, '-', '+')) as [string, string[]][];
        return entries.length ? entries : undefined;
      }, 20_000, 'a dead letter');
      expect(dead).toHaveLength(1);
      expect(dead[0]![1]).toContain('postgres');
      expect(dead[0]![1].join(' ')).toMatch(/0x00|\\u0000/);
      for (const g of ['postgres', 'file']) {
        await eventually(async () => (((await redis.xpending(stream.key, g)) as [number])[0] === 0 ? true : undefined), 20_000, `${g} acked`);
      }
      // The file archive keeps every event, by its own UTC date.
      const day1 = await readFile(path.join(dir, String(projectId), '2026-11-02.log'), 'utf8');
      const day2 = await readFile(path.join(dir, String(projectId), '2026-11-01.log'), 'utf8');
      expect(day1.trim().split('\n').map((l) => JSON.parse(l).event_id)).toEqual(['w-1', 'w-3']);
      expect(day2.trim().split('\n').map((l) => JSON.parse(l).event_id)).toEqual(['w-2', 'w-4']);
      expect(worker.stats()).toEqual({ postgres: { written: 3, deadLettered: 1 }, file: { written: 4, deadLettered: 0 } });
      // Once every sink acknowledged, the stream is trimmed down to at most its last entry.
      await eventually(async () => ((await stream.backlog()) <= 1 ? true : undefined), 10_000, 'the stream to be trimmed');
    } finally {
      await worker.close();
      await worker.close(); // idempotent
    }
  });

  it('writes to PostgreSQL and files while OpenSearch is down at start', async () => {
    // Nothing listens on this port: the OpenSearch sink waits for its store, on its own.
    const down = loadSettings({ ...settingsEnv, OPENSEARCH_URL: `http://127.0.0.1:${await freePort()}`, LOGFLOW_SINKS: 'opensearch,postgres,file' });
    await stream.append([event(11), event(12)]);
    const worker = new Worker({ settings: down, log });
    await Promise.race([worker.start(), new Promise((_, reject) => setTimeout(() => reject(new Error('start waited for OpenSearch')), 5000))]);
    try {
      await eventually(async () => {
        const { rows } = await pool.query("SELECT count(*)::int AS n FROM logs WHERE event_id IN ('w-11', 'w-12')");
        return rows[0].n === 2 ? true : undefined;
      }, 20_000, 'PostgreSQL to hold the events');
      await eventually(async () => (((await redis.xpending(stream.key, 'file')) as [number])[0] === 0 && (await stream.groups()).find((g) => g.name === 'file')?.lag === 0 ? true : undefined), 20_000, 'the file sink to settle');
      expect((await stream.groups()).find((g) => g.name === 'opensearch')).toMatchObject({ pending: 0 });
    } finally {
      await worker.close();
      await redis.xgroup('DESTROY', stream.key, 'opensearch');
    }
  });

  it('writes a replayed batch once in PostgreSQL', async () => {
    await stream.append([event(1), event(3)]);
    const worker = new Worker({ settings, log });
    await worker.start();
    try {
      await eventually(async () => (((await redis.xpending(stream.key, 'postgres')) as [number])[0] === 0 && (await stream.groups()).every((g) => g.lag === 0) ? true : undefined), 20_000, 'the replay to be processed');
      const { rows } = await pool.query("SELECT count(*)::int AS n FROM logs WHERE event_id IN ('w-1', 'w-3')");
      expect(rows[0].n).toBe(2);
    } finally {
      await worker.close();
    }
  });
});
