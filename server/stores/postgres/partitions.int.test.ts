import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogEvent } from '../../../shared/event.ts';
import { isTransient } from '../../../shared/errors.ts';
import { DAY_MS, startOfUtcDay } from '../../../shared/retention.ts';
import { parseQuery } from '../../../shared/query/parse.ts';
import { createTestDatabase } from '../../../test/helpers.ts';
import { migrateProjects } from '../../auth/projects.ts';
import { openPool } from '../../db.ts';
import { LogPartitions } from './partitions.ts';
import { toSql } from './query.ts';
import { createPostgresSink } from './sink.ts';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;
let a: number;
let b: number;
let seq = 0;

const NOW = Date.now();
const TODAY = startOfUtcDay(NOW);
const iso = (ms: number) => new Date(ms).toISOString();
const ymd = (ms: number) => iso(ms).slice(0, 10).replace(/-/g, '');

function event(projectId: number, timestampMs: number, fields: Partial<LogEvent> = {}): LogEvent {
  seq += 1;
  return { event_id: `p-${seq}`, project_id: projectId, timestamp: iso(timestampMs), ingest_ts: iso(NOW), service: 'api', level: 'INFO', message: `event ${seq}`, ...fields };
}

/** Which leaf holds each event. */
async function leaves(ids: string[]): Promise<Record<string, string>> {
  const { rows } = await pool.query<{ event_id: string; leaf: string }>('SELECT event_id, tableoid::regclass::text AS leaf FROM logs WHERE event_id = ANY($1)', [ids]);
  return Object.fromEntries(rows.map((r) => [r.event_id, r.leaf]));
}

async function tables(): Promise<string[]> {
  const { rows } = await pool.query<{ relname: string }>("SELECT relname FROM pg_class WHERE relkind IN ('r', 'p') AND relname LIKE 'logs\\_%' ORDER BY 1");
  return rows.map((r) => r.relname);
}

beforeAll(async () => {
  db = await createTestDatabase();
  pool = openPool(db.url);
  await migrateProjects(pool);
  await createPostgresSink({ pool }).prepare();
  const add = async (name: string) => Number((await pool.query('INSERT INTO projects (name, api_key_hash) VALUES ($1, $1) RETURNING id', [name])).rows[0].id);
  a = await add('a');
  b = await add('b');
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

describe('when events come for days that have no partition yet', () => {
  it('does make one per day and project, and a coarser one for late events, each event in its own', async () => {
    const today = event(a, NOW);
    const tomorrow = event(a, TODAY + DAY_MS + 3_600_000); // an early one: a clock a little ahead
    const otherProject = event(b, NOW);
    const lastYear = event(a, NOW - 365 * DAY_MS);
    const ancient = event(a, Date.UTC(1999, 5, 1));
    const batch = [today, tomorrow, otherProject, lastYear, ancient];
    expect(await createPostgresSink({ pool }).write(batch)).toEqual(batch.map(() => ({ status: 'ok' })));

    const month = new Date(NOW - 365 * DAY_MS);
    const monthStart = Date.UTC(month.getUTCFullYear(), month.getUTCMonth(), 1);
    const monthEnd = Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + 1, 1);
    const ingest = new Date(NOW);
    const olderEnd = Date.UTC(ingest.getUTCFullYear(), ingest.getUTCMonth() - 25, 1);
    expect(await leaves(batch.map((e) => e.event_id))).toEqual({
      [today.event_id]: `logs_${ymd(TODAY)}_${ymd(TODAY + DAY_MS)}_p${a}`,
      [tomorrow.event_id]: `logs_${ymd(TODAY + DAY_MS)}_${ymd(TODAY + 2 * DAY_MS)}_p${a}`,
      [otherProject.event_id]: `logs_${ymd(TODAY)}_${ymd(TODAY + DAY_MS)}_p${b}`,
      [lastYear.event_id]: `logs_${ymd(monthStart)}_${ymd(monthEnd)}_p${a}`,
      [ancient.event_id]: `logs_min_${ymd(olderEnd)}_p${a}`,
    });
  });

  it('does give each leaf the statistics of which services log which levels', async () => {
    const e = event(a, NOW - 2 * DAY_MS);
    expect(await createPostgresSink({ pool }).write([e])).toEqual([{ status: 'ok' }]);
    const leaf = (await leaves([e.event_id]))[e.event_id]!;
    const { rows } = await pool.query("SELECT stxkind::text[] AS kinds, (SELECT array_agg(attname::text ORDER BY attname) FROM pg_attribute WHERE attrelid = stxrelid AND attnum = ANY(stxkeys)) AS columns FROM pg_statistic_ext WHERE stxrelid = $1::regclass", [leaf]);
    expect(rows).toEqual([{ kinds: ['m'], columns: ['level', 'service'] }]);
  });

  it('does store a retried event once: its timestamp takes it to the leaf of its first copy', async () => {
    const e = event(a, NOW - 2 * DAY_MS);
    const sink = createPostgresSink({ pool });
    await sink.write([e]);
    expect(await sink.write([e, { ...e, message: 'the same event sent again' }])).toEqual([{ status: 'ok' }, { status: 'ok' }]);
    expect((await pool.query('SELECT count(*)::int AS n FROM logs WHERE event_id = $1', [e.event_id])).rows[0].n).toBe(1);
  });

  it('does make each partition once when several writers need it at the same time', async () => {
    const day = TODAY - 5 * DAY_MS;
    const writers = Array.from({ length: 4 }, (_, i) => createPostgresSink({ pool }).write([event(a, day + i * 1000), event(b, day + i * 1000)]));
    for (const results of await Promise.all(writers)) expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }]);
    const made = (await tables()).filter((t) => t.startsWith(`logs_${ymd(day)}_`));
    expect(made).toEqual([`logs_${ymd(day)}_${ymd(day + DAY_MS)}`, `logs_${ymd(day)}_${ymd(day + DAY_MS)}_p${a}`, `logs_${ymd(day)}_${ymd(day + DAY_MS)}_p${b}`]);
  });

  it('does make a partition while a long search holds the table, without waiting for it', async () => {
    const reader = await pool.connect();
    try {
      await reader.query('BEGIN');
      await reader.query('SELECT count(*) FROM logs');
      const day = TODAY - 6 * DAY_MS;
      const started = Date.now();
      // CREATE TABLE ... PARTITION OF would wait for the reader (and every write behind it) here.
      expect(await createPostgresSink({ pool }).write([event(a, day)])).toEqual([{ status: 'ok' }]);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await reader.query('ROLLBACK');
      reader.release();
    }
  });

  it('does write again, not refuse, events whose partition was dropped under it', async () => {
    const sink = createPostgresSink({ pool });
    const day = TODAY - 7 * DAY_MS;
    await sink.write([event(b, day)]);
    await pool.query(`DROP TABLE ${`logs_${ymd(day)}_${ymd(day + DAY_MS)}_p${b}`}`);
    const late = event(b, day + 60_000);
    const first = await sink.write([late]).catch((err: unknown) => err);
    expect(isTransient(first)).toBe(true);
    expect(String(first)).toMatch(/no partition/);
    expect(await sink.write([late])).toEqual([{ status: 'ok' }]);
  });
});

describe('when days are coming', () => {
  it('does make the next days ahead for the projects that write today, and nothing for the others', async () => {
    const c = Number((await pool.query("INSERT INTO projects (name, api_key_hash) VALUES ('idle', 'idle') RETURNING id")).rows[0].id);
    const made = await new LogPartitions(pool).createAhead(NOW);
    for (const d of [1, 2]) {
      const range = `logs_${ymd(TODAY + d * DAY_MS)}_${ymd(TODAY + (d + 1) * DAY_MS)}`;
      expect(await tables()).toContain(`${range}_p${a}`);
      expect(await tables()).toContain(`${range}_p${b}`);
      expect(await tables()).not.toContain(`${range}_p${c}`);
    }
    expect(made).not.toContain(`logs_${ymd(TODAY + DAY_MS)}_${ymd(TODAY + 2 * DAY_MS)}_p${a}`); // made by the early event above
    expect(await new LogPartitions(pool).createAhead(NOW)).toEqual([]);
  });
});

describe('when searching', () => {
  it('does read only the leaves of the project and days asked for', async () => {
    const q = toSql({ projectId: a, query: parseQuery('level:ERROR'), fromMs: TODAY - DAY_MS, toMs: NOW, limit: 10 });
    const { rows } = await pool.query(`EXPLAIN ${q.text}`, q.values);
    const scanned = [...new Set(rows.map((r) => r['QUERY PLAN'] as string).join('\n').match(/ on logs_\w+?_p\d+\b/g)?.map((m) => m.slice(4)) ?? [])].sort();
    expect(scanned).toEqual([`logs_${ymd(TODAY)}_${ymd(TODAY + DAY_MS)}_p${a}`]);
  });
});
