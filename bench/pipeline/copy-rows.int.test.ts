import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogEvent } from '../../shared/event.ts';
import { migrateProjects, ProjectStore } from '../../server/auth/projects.ts';
import { LogPartitions } from '../../server/stores/postgres/partitions.ts';
import { fromRow, LOG_COLUMNS, type LogRow } from '../../server/stores/postgres/query.ts';
import { migrateLogs } from '../../server/stores/postgres/schema.ts';
import { createPostgresSink } from '../../server/stores/postgres/sink.ts';
import { openPool } from '../../server/db.ts';
import { createTestDatabase } from '../../test/helpers.ts';
import { copyRows, csvLine } from './ceilings.ts';
import { enriched, recentEvents } from './events.ts';

// The bench loads its search data set and its COPY ceiling with csvLine; what it measures is only
// worth something if those rows are exactly the ones the postgres sink writes.
describe('when the bench copies events into PostgreSQL', () => {
  const dbs: Awaited<ReturnType<typeof createTestDatabase>>[] = [];
  const pools: pg.Pool[] = [];
  let events: LogEvent[];

  const database = async () => {
    const db = await createTestDatabase();
    dbs.push(db);
    const pool = openPool(db.url, 2);
    pools.push(pool);
    await migrateProjects(pool);
    await migrateLogs(pool);
    const { project } = await new ProjectStore(pool).create('bench');
    return { pool, projectId: project.id };
  };
  const stored = async (pool: pg.Pool) => (await pool.query<LogRow>(`SELECT ${LOG_COLUMNS} FROM logs ORDER BY event_id`)).rows.map(fromRow);

  beforeAll(async () => {
    const awkward = { message: 'quotes " and "" , commas, a\nnewline, a \\ backslash, tabs\t, ünïcødé ✓ and a "quoted, field"', metadata: { 'k"ey': 'v,al\nue', nested: { deep: ['a', 1, null, true] }, __proto__x: 1 } };
    events = [...recentEvents(300, 7, 'c'), { ...recentEvents(1, 8, 'z')[0]!, ...awkward }].map((e) => enriched(e, 1, '2026-11-01T10:00:00.123Z'));
  });

  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await Promise.all(dbs.map((d) => d.drop()));
  });

  it('stores the same rows as the postgres sink writes', async () => {
    const viaSink = await database();
    const viaCopy = await database();
    const mine = (projectId: number) => events.map((e) => ({ ...e, project_id: projectId }));
    const results = await createPostgresSink({ pool: viaSink.pool }).write(mine(viaSink.projectId));
    expect(results.every((r) => r.status === 'ok')).toBe(true);
    // COPY routes rows into partitions that must be there first, as the sink makes them.
    await new LogPartitions(viaCopy.pool).ensure(mine(viaCopy.projectId));
    const client = await viaCopy.pool.connect();
    try {
      await copyRows(client, [mine(viaCopy.projectId).map(csvLine).join('')]);
    } finally {
      client.release();
    }
    const [a, b] = [await stored(viaSink.pool), await stored(viaCopy.pool)];
    expect(b).toHaveLength(events.length);
    expect(b.map((e) => ({ ...e, project_id: 0 }))).toEqual(a.map((e) => ({ ...e, project_id: 0 })));
  });
});
