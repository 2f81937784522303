import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings, type Settings } from '../../shared/config.ts';
import type { LogEvent } from '../../shared/event.ts';
import { createLogger } from '../../shared/logger.ts';
import { DAY_MS, startOfUtcDay } from '../../shared/retention.ts';
import { createTestDatabase, eventually, REDIS_URL, uniqueName } from '../../test/helpers.ts';
import { ProjectStore } from '../auth/projects.ts';
import { openPool } from '../db.ts';
import { migrate } from '../migrate.ts';
import { EventStream } from '../queue/stream.ts';
import { Redis } from 'ioredis';
import { createFileSink } from '../stores/file/sink.ts';
import { createPostgresSink } from '../stores/postgres/sink.ts';
import { Worker } from '../worker/worker.ts';
import { retentionCounts } from './counters.ts';

const log = createLogger('silent');

describe('when several workers run', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let dir: string;
  let pool: pg.Pool;
  let settings: Settings;
  let projectId: number;
  const redis = new Redis(REDIS_URL);
  const workers: Worker[] = [];
  const now = Date.now();
  const ymd = (ms: number) => new Date(ms).toISOString().slice(0, 10).replace(/-/g, '');
  const day = (daysAgo: number) => startOfUtcDay(now) - daysAgo * DAY_MS;

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(path.join(os.tmpdir(), 'logflow-timer-'));
    settings = loadSettings({ DATABASE_URL: db.url, REDIS_URL, LOGFLOW_NAMESPACE: uniqueName('t'), LOGFLOW_FILE_DIR: dir, LOGFLOW_SINKS: 'postgres,file' });
    await migrate(settings, log);
    pool = openPool(db.url);
    projectId = (await new ProjectStore(pool).create('short', { retention_days: 7 })).project.id;
    const events: LogEvent[] = [10, 1].map((ago) => ({
      event_id: `e-${ago}`,
      project_id: projectId,
      timestamp: new Date(day(ago) + 3_600_000).toISOString(),
      ingest_ts: new Date(now).toISOString(),
      service: 'api',
      level: 'INFO',
      message: `${ago} days ago`,
    }));
    await createPostgresSink({ pool }).write(events);
    await createFileSink({ dir }).write(events);
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await new EventStream(redis, settings.LOGFLOW_NAMESPACE).destroy();
    redis.disconnect();
    await pool?.end();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('does run each store’s retention once between them per interval, however often they look', async () => {
    const before = retentionCounts();
    for (const consumer of ['w1', 'w2']) {
      const w = new Worker({ settings, log, consumer, retentionTicks: { firstAfterMs: 50, everyMs: 100 } });
      workers.push(w);
    }
    await Promise.all(workers.map((w) => w.start()));
    const runs = async () => (await pool.query<{ target: string; n: number }>('SELECT target, count(*)::int AS n FROM retention_runs GROUP BY 1 ORDER BY 1')).rows;
    await eventually(async () => ((await runs().catch(() => [])).length === 2 ? true : undefined), 20_000, 'a retention run of both stores');
    await new Promise((r) => setTimeout(r, 2000)); // about 20 more looks by each worker
    expect(await runs()).toEqual([
      { target: `file:${os.hostname()}:${path.resolve(dir)}`, n: 1 },
      { target: 'postgres', n: 1 },
    ]);
    // Counted where metrics can read them: one run, one partition of one event, one file.
    const after = retentionCounts();
    expect(after.runs - before.runs).toBe(1);
    expect(after.removed['postgres partition']!.events - (before.removed['postgres partition']?.events ?? 0)).toBe(1);
    expect(after.removed['file file']!.removed - (before.removed['file file']?.removed ?? 0)).toBe(1);
    // What it did: the day past the project's 7 days went from both stores, the recent one stayed,
    // and the coming days have their partitions.
    const { rows } = await pool.query<{ event_id: string }>('SELECT event_id FROM logs ORDER BY 1');
    expect(rows.map((r) => r.event_id)).toEqual(['e-1']);
    expect((await readdir(path.join(dir, String(projectId)))).sort()).toEqual([`${new Date(day(1)).toISOString().slice(0, 10)}.log`]);
    const { rows: ahead } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_class WHERE relname = ANY($1)', [
      [1, 2].map((d) => `logs_${ymd(day(-d))}_${ymd(day(-d - 1))}_p${projectId}`),
    ]);
    expect(ahead[0]!.n).toBe(2);
  });
});
