import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../shared/logger.ts';
import { MATCH_ALL } from '../../../shared/query/tree.ts';
import { createTestDatabase } from '../../../test/helpers.ts';
import { A, B, C, kept, NOW, POLICY, retentionEvents } from '../../../test/retention-fixture.ts';
import { migrateProjects } from '../../auth/projects.ts';
import { openPool } from '../../db.ts';
import { PolicyCache } from '../../retention/policy.ts';
import { withRetention } from '../../retention/search.ts';
import { createPostgresRetention } from './retention.ts';
import { createPostgresSearch } from './search.ts';
import { createPostgresSink } from './sink.ts';

const log = createLogger('silent');
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;

async function tables(): Promise<string[]> {
  const { rows } = await pool.query<{ relname: string }>("SELECT relname FROM pg_class WHERE relkind IN ('r', 'p') AND relname LIKE 'logs\\_%' ORDER BY 1");
  return rows.map((r) => r.relname);
}

const events = async () => (await pool.query<{ event_id: string }>('SELECT event_id FROM logs ORDER BY 1')).rows.map((r) => r.event_id);

beforeAll(async () => {
  db = await createTestDatabase();
  pool = openPool(db.url);
  await migrateProjects(pool);
  await pool.query("INSERT INTO projects (id, name, api_key_hash, overrides) VALUES (1, 'a', 'ha', '{}'), (2, 'b', 'hb', '{\"retention_days\": 7}'), (3, 'c', 'hc', '{\"retention_days\": 90}')");
  const sink = createPostgresSink({ pool });
  await sink.prepare();
  const all = retentionEvents();
  expect(await sink.write(all)).toEqual(all.map(() => ({ status: 'ok' })));
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const EXPIRED_LEAVES = [
  { name: 'logs_20260801_20260901_p3', projectId: C, before: '2026-09-01T00:00:00.000Z', events: 1 },
  { name: 'logs_20261001_20261101_p1', projectId: A, before: '2026-11-01T00:00:00.000Z', events: 1 },
  { name: 'logs_20261120_20261121_p2', projectId: B, before: '2026-11-21T00:00:00.000Z', events: 1 },
  { name: 'logs_20261123_20261124_p2', projectId: B, before: '2026-11-24T00:00:00.000Z', events: 1 },
  { name: 'logs_min_20241101_p1', projectId: A, before: '2024-11-01T00:00:00.000Z', events: 1 },
].map((r) => ({ store: 'postgres', kind: 'partition', ...r }));

const byName = <T extends { name: string }>(xs: T[]) => [...xs].sort((x, y) => x.name.localeCompare(y.name));

describe('when asked what is past retention (a dry run)', () => {
  it('does list each project’s partitions past its own retention, with their events, and changes nothing', async () => {
    const [tablesBefore, eventsBefore] = [await tables(), await events()];
    const removals = await createPostgresRetention({ pool }).apply(POLICY, { nowMs: NOW, dryRun: true, log });
    expect(byName(removals)).toEqual(EXPIRED_LEAVES);
    expect(await tables()).toEqual(tablesBefore);
    expect(await events()).toEqual(eventsBefore);
  });
});

describe('when retention runs', () => {
  it('does drop exactly those partitions, the ranges left empty, and makes the coming days', async () => {
    const removals = await createPostgresRetention({ pool }).apply(POLICY, { nowMs: NOW, dryRun: false, log });
    expect(byName(removals)).toEqual(EXPIRED_LEAVES);
    expect(await tables()).toEqual([
      'logs_20261001_20261101', 'logs_20261001_20261101_p3', // October stays for C, without A
      'logs_20260901_20261001', 'logs_20260901_20261001_p3', // September: C keeps part of it
      'logs_20261101_20261102', 'logs_20261101_20261102_p1',
      'logs_20261120_20261121', 'logs_20261120_20261121_p1', 'logs_20261120_20261121_p3',
      'logs_20261124_20261125', 'logs_20261124_20261125_p2',
      'logs_20261201_20261202', 'logs_20261201_20261202_p1', 'logs_20261201_20261202_p2',
      'logs_20261202_20261203', 'logs_20261202_20261203_p1', 'logs_20261202_20261203_p2', // made ahead for B
      'logs_20261203_20261204', 'logs_20261203_20261204_p1', 'logs_20261203_20261204_p2',
    ].sort());
    expect(await events()).toEqual([...kept(), 'c-sep01'].sort());
    expect(await createPostgresRetention({ pool }).apply(POLICY, { nowMs: NOW, dryRun: false, log })).toEqual([]);
  });

  it('does let no search find an event past its project’s retention, also one its partition still holds', async () => {
    const policies = new PolicyCache(pool, 30);
    const search = withRetention(createPostgresSearch({ pool }), policies, () => NOW);
    for (const project of [A, B, C]) {
      const { hits } = await search.search({ projectId: project, query: MATCH_ALL, limit: 100 });
      expect(hits.map((h) => h.event_id).sort()).toEqual(kept(project));
    }
    // c-sep01 is still on disk (September is kept whole for c-sep02): the search leaves it out.
    const raw = await createPostgresSearch({ pool }).search({ projectId: C, query: MATCH_ALL, limit: 100 });
    expect(raw.hits.map((h) => h.event_id)).toContain('c-sep01');
    const { hits } = await search.search({ projectId: C, query: MATCH_ALL, limit: 100, fromMs: Date.parse('2026-09-01T00:00:00Z'), toMs: Date.parse('2026-09-02T00:00:00Z') });
    expect(hits).toEqual([]);
    expect(await search.bounds({ projectId: C, query: MATCH_ALL })).toEqual({ minMs: Date.parse('2026-09-02T00:00:00Z'), maxMs: Date.parse('2026-11-20T13:00:00Z') });
  });
});
