// How long `logflow migrate` takes to partition an earlier release's logs table:
// `npx tsx bench/partition-migration.bench.ts [--rows N]` (1,000,000 by default). It makes a database
// with the previous release's DDL holding N rows (3 projects, 30 days, each with its search terms),
// partitions it as migrate does, and prints rows/s and how long writes were blocked (the swap).
// There is no target; the figure says how long an installation's migration takes.
import { performance } from 'node:perf_hooks';
import { createLogger } from '../shared/logger.ts';
import { openPool } from '../server/db.ts';
import { partitionLogs } from '../server/stores/postgres/convert.ts';
import { createTestDatabase } from '../test/helpers.ts';
import { PREVIOUS_RELEASE_DDL } from '../test/retention-fixture.ts';

const i = process.argv.indexOf('--rows');
const ROWS = i > 0 ? Number(process.argv[i + 1]) : 1_000_000;

const db = await createTestDatabase();
const pool = openPool(db.url, 4);
try {
  await pool.query(PREVIOUS_RELEASE_DDL);
  const t0 = performance.now();
  await pool.query(
    `INSERT INTO logs (project_id, event_id, ts, ingest_ts, service, level, message, trace_id, metadata, search, nums)
     SELECT 1 + g % 2, 'e' || g, now() - (g::float8 / $1) * interval '30 days', now() - (g::float8 / $1) * interval '30 days', 'api', 'INFO',
       'request ' || g % 997 || ' handled for user ' || g % 5000 || ' in ' || g % 300 || ' ms', md5(g::text), jsonb_build_object('user_id', g % 5000),
       to_tsvector('simple', 'request ' || g % 997 || ' handled for user ' || g % 5000), ARRAY['user_id=' || g % 5000]
     FROM generate_series(1, $1) g`,
    [ROWS],
  );
  console.log(`previous release's table: ${ROWS.toLocaleString('en-US')} rows made in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const t1 = performance.now();
  let lastChunk = t1;
  const moved = await partitionLogs(pool, { log: createLogger('silent'), onChunk: () => void (lastChunk = performance.now()) });
  const seconds = (performance.now() - t1) / 1000;
  console.log(`partitioned: ${moved?.toLocaleString('en-US')} rows in ${seconds.toFixed(1)} s (${Math.round(ROWS / seconds).toLocaleString('en-US')} rows/s); the swap (writes blocked) took ${((performance.now() - lastChunk) / 1000).toFixed(1)} s`);
} finally {
  await pool.end();
  await db.drop();
}
