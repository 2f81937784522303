import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogEvent } from '../../../shared/event.ts';
import { createLogger } from '../../../shared/logger.ts';
import { DAY_MS } from '../../../shared/retention.ts';
import { createTestDatabase } from '../../../test/helpers.ts';
import { PREVIOUS_RELEASE_DDL } from '../../../test/retention-fixture.ts';
import { openPool } from '../../db.ts';
import { partitionLogs } from './convert.ts';
import { createPostgresSink } from './sink.ts';

// An installation of the previous release: its DDL exactly (id bigserial, the unique key without
// the timestamp, its indexes), holding rows over many days and two projects, some written before
// the search column. `logflow migrate` partitions it (partitionLogs), keeping every row.

const log = createLogger('silent');
const NOW = Date.now();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const OLD_DDL = `${PREVIOUS_RELEASE_DDL}
-- 3,000 rows over 60 days, two projects; the first 200 written before the search column existed.
INSERT INTO logs (project_id, event_id, ts, ingest_ts, service, level, message, trace_id, metadata, search, nums)
SELECT 1 + g % 2, 'old-' || g, now() - (g % 60) * interval '1 day' - g * interval '1 second', now() - (g % 60) * interval '1 day',
  'api', 'INFO', 'old event ' || g, CASE WHEN g % 7 = 0 THEN 't' || g END, jsonb_build_object('n', g),
  CASE WHEN g > 200 THEN to_tsvector('simple', 'old event ' || g) END, CASE WHEN g > 200 THEN ARRAY['n=' || g] END
FROM generate_series(1, 3000) g;`;

async function oldInstallation(): Promise<pg.Pool> {
  const db = await createTestDatabase();
  const pool = openPool(db.url, 6);
  cleanups.push(async () => {
    await pool.end();
    await db.drop();
  });
  await pool.query(OLD_DDL);
  return pool;
}

/** Every row, every column, as text: what must be the same after the migration. */
async function everyRow(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query(`SELECT project_id, event_id, ts, ingest_ts, service, level, message, trace_id, request_id, host, env, metadata, search::text, nums FROM logs ORDER BY project_id, event_id`);
  return rows.map((r) => JSON.stringify(r));
}

const kind = async (pool: pg.Pool) => (await pool.query("SELECT relkind::text AS k FROM pg_class WHERE relname = 'logs'")).rows[0].k as string;

describe('when an unpartitioned logs table holds rows', () => {
  it('does partition it keeping every row and column, and finds nothing to do the second time', async () => {
    const pool = await oldInstallation();
    const before = await everyRow(pool);
    expect(await partitionLogs(pool, { log, chunk: 700 })).toBe(3000);
    expect(await kind(pool)).toBe('p');
    expect(await everyRow(pool)).toEqual(before);
    // Each row in the leaf of its project and day (or month, for rows older than the month before).
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM logs l JOIN pg_class c ON c.oid = l.tableoid WHERE c.relname NOT LIKE '%\\_p' || l.project_id`,
    );
    expect(rows[0]!.n).toBe(0);
    expect(await partitionLogs(pool, { log })).toBeUndefined();
    const { rows: names } = await pool.query("SELECT relname FROM pg_class WHERE relname LIKE 'logs\\_partitioned%'");
    expect(names).toEqual([]);
  });

  it('does partition it once when several processes migrate at the same time', async () => {
    const pool = await oldInstallation();
    const before = await everyRow(pool);
    const results = await Promise.all([1, 2, 3].map(() => partitionLogs(pool, { log, chunk: 500 })));
    expect(results.sort()).toEqual([3000, undefined, undefined]);
    expect(await everyRow(pool)).toEqual(before);
  });

  it('does resume where a migration that stopped left off', async () => {
    const pool = await oldInstallation();
    const before = await everyRow(pool);
    const stop = partitionLogs(pool, {
      log,
      chunk: 500,
      onChunk: (through) => {
        if (through >= 1500) throw new Error('killed');
      },
    });
    await expect(stop).rejects.toThrow(/killed/);
    expect(await kind(pool)).toBe('r');
    const chunks: number[] = [];
    expect(await partitionLogs(pool, { log, chunk: 500, onChunk: (n) => void chunks.push(n) })).toBe(3000);
    expect(chunks[0]).toBe(2000);
    expect(await everyRow(pool)).toEqual(before);
  });

  it('does keep every row a worker writes while it runs, before, during and after the swap', async () => {
    const pool = await oldInstallation();
    const sink = createPostgresSink({ pool });
    await sink.prepare();
    let n = 0;
    const written: string[] = [];
    let stopping = false;
    // A worker of this release, writing as the sink does (several batches in flight), until told to stop.
    const writer = async () => {
      while (!stopping) {
        const batch: LogEvent[] = Array.from({ length: 20 }, () => {
          n += 1;
          return { event_id: `live-${n}`, project_id: 1 + (n % 2), timestamp: new Date(NOW - (n % 3) * DAY_MS).toISOString(), ingest_ts: new Date(NOW).toISOString(), service: 'live', level: 'INFO', message: `live ${n}` };
        });
        for (;;) {
          try {
            const results = await sink.write(batch);
            expect(results.every((r) => r.status === 'ok')).toBe(true);
            break;
          } catch (err) {
            // The worker retries a transient failure (a partition not made yet right after the swap).
            if (!(err as { transient?: boolean }).transient) throw err;
          }
        }
        written.push(...batch.map((e) => e.event_id));
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const writers = [writer(), writer()];
    const before = await everyRow(pool);
    const atStart = written.length;
    await partitionLogs(pool, { log, chunk: 400, onChunk: () => new Promise((r) => setTimeout(r, 30)) });
    const atSwap = written.length;
    await new Promise((r) => setTimeout(r, 500)); // writes go on into the partitioned table
    stopping = true;
    await Promise.all(writers);
    expect(await kind(pool)).toBe('p');
    expect(atSwap).toBeGreaterThan(atStart);
    expect(written.length).toBeGreaterThan(atSwap);
    const { rows } = await pool.query<{ event_id: string }>("SELECT event_id FROM logs WHERE service = 'live' ORDER BY event_id");
    expect(rows.map((r) => r.event_id)).toEqual([...written].sort());
    const old = (await everyRow(pool)).filter((r) => !r.includes('"service":"live"'));
    expect(old).toEqual(before.filter((r) => !r.includes('"service":"live"')));
  });
});
