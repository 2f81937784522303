import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/logger.ts';
import { freePort } from '../../test/cli.ts';
import { createTestDatabase } from '../../test/helpers.ts';
import { migrateProjects } from '../auth/projects.ts';
import { openPool } from '../db.ts';
import { createOpenSearchRetention } from '../stores/opensearch/retention.ts';
import { createPostgresRetention } from '../stores/postgres/retention.ts';
import { createPostgresSink } from '../stores/postgres/sink.ts';
import { runRetention } from './run.ts';

const log = createLogger('silent');

describe('when one store cannot be reached', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: pg.Pool;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = openPool(db.url);
    await migrateProjects(pool);
    await createPostgresSink({ pool }).prepare();
  });

  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('does run the others, records only what ran, and tries the failed one at the next look', async () => {
    const away = createOpenSearchRetention({ url: `http://127.0.0.1:${await freePort()}`, namespace: 'away', requestTimeoutMs: 2000 });
    const stores = [away, createPostgresRetention({ pool })];
    const first = await runRetention({ pool, stores, defaultDays: 30, log, everyMs: 3_600_000 });
    expect(first.ran).toEqual(['postgres']);
    expect(first.failures).toEqual([{ target: 'opensearch:away', error: expect.stringMatching(/OpenSearch is not reachable/) }]);
    const second = await runRetention({ pool, stores, defaultDays: 30, log, everyMs: 3_600_000 });
    expect(second.ran).toEqual([]); // postgres ran within the hour
    expect(second.failures.map((f) => f.target)).toEqual(['opensearch:away']);
    const { rows } = await pool.query('SELECT target FROM retention_runs');
    expect(rows).toEqual([{ target: 'postgres' }]);
    await away.close();
  });
});
