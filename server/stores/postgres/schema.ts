import type pg from 'pg';
import { pgError } from '../../db.ts';

// Any constant works as long as every LogFlow process uses the same one for the logs table and no
// other migration does; it reads "logs" in ASCII so it is recognisable in pg_locks.
export const MIGRATE_LOCK_KEY = 0x6c6f6773;

// event_id is COLLATE "C" so that ORDER BY event_id and the cursor's row comparison compare bytes:
// the order is then the same for every database locale and matches the index.
// service, level and message are NOT NULL because LogEvent requires them and fromRow must not invent them.
//
// The table is partitioned (partition-layout.ts): by time, then by project. A unique key on a
// partitioned table must hold every partition key, so the idempotency key is (project_id, ts,
// event_id): a retried event carries its timestamp, so it lands in the leaf of its first copy and
// meets it there. In that order it is also the index a search walks (newest first, ties by event_id,
// the cursor's row comparison), so one index does both. Inserts say ON CONFLICT DO NOTHING without
// naming columns, which holds for this key and for the unpartitioned table of earlier releases.
export function partitionedDdl(table: string): string {
  return `
CREATE TABLE IF NOT EXISTS ${table} (
  project_id bigint NOT NULL REFERENCES projects (id),
  event_id text COLLATE "C" NOT NULL,
  ts timestamptz NOT NULL,
  ingest_ts timestamptz NOT NULL,
  service text NOT NULL,
  level text NOT NULL,
  message text NOT NULL,
  trace_id text NULL,
  request_id text NULL,
  host text NULL,
  env text NULL,
  metadata jsonb NULL,
  search tsvector NULL,
  nums text[] COLLATE "C" NULL,
  CONSTRAINT ${table}_project_ts_event_key UNIQUE (project_id, ts, event_id)
) PARTITION BY RANGE (ts);
CREATE INDEX IF NOT EXISTS ${table}_project_service_ts_idx ON ${table} (project_id, service, ts DESC);
CREATE INDEX IF NOT EXISTS ${table}_search_idx ON ${table} USING gin (search);
CREATE INDEX IF NOT EXISTS ${table}_project_level_ts_idx ON ${table} (project_id, level, ts DESC);
-- Service and level together, the common pair of filters: without it a pair that matches nothing (a
-- service that never logs DEBUG) read every row of the service in the range (300 ms over 7 days of
-- 10 million events; 0.3 ms with it). Added to an installation's partitions by logflow migrate.
CREATE INDEX IF NOT EXISTS ${table}_project_service_level_ts_idx ON ${table} (project_id, service, level, ts DESC);
CREATE INDEX IF NOT EXISTS ${table}_project_trace_idx ON ${table} (project_id, trace_id) WHERE trace_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS ${table}_project_request_idx ON ${table} (project_id, request_id) WHERE request_id IS NOT NULL;
-- A query matches rows without the search column (written before it existed) on their message
-- (query.ts): without this index on that OR's other side, PostgreSQL reads the whole range for a
-- word it cannot find. New rows never enter it (they have the column), so it costs them nothing.
CREATE INDEX IF NOT EXISTS ${table}_message_legacy_fts_idx ON ${table} USING gin (to_tsvector('simple', message)) WHERE search IS NULL;
`;
}

/**
 * Statistics of the search column, set on every leaf when it is made (partitions.ts). The planner
 * picks between walking the time index (a common word: the newest hits come at once) and the GIN
 * index (a rare one: few rows to sort) by how often it believes a lexeme occurs. With the default
 * statistics it believes any lexeme it did not sample occurs in 0.2% of rows, and walks the whole
 * time index for a trace's field value; 2000 samples enough lexemes to know rare ones are rare.
 */
export const SEARCH_STATISTICS = 2000;

// The unpartitioned table of earlier releases, kept up to date as they did until `logflow migrate`
// partitions it (convert.ts). A worker meeting it keeps writing there meanwhile.
const LEGACY_DDL = `
CREATE INDEX IF NOT EXISTS logs_project_ts_idx ON logs (project_id, ts DESC, event_id DESC);
CREATE INDEX IF NOT EXISTS logs_project_service_ts_idx ON logs (project_id, service, ts DESC);
ALTER TABLE logs ADD COLUMN IF NOT EXISTS search tsvector NULL;
ALTER TABLE logs ADD COLUMN IF NOT EXISTS nums text[] COLLATE "C" NULL;
CREATE INDEX IF NOT EXISTS logs_search_idx ON logs USING gin (search);
ALTER TABLE logs ALTER COLUMN search SET STATISTICS ${SEARCH_STATISTICS};
CREATE INDEX IF NOT EXISTS logs_project_level_ts_idx ON logs (project_id, level, ts DESC);
CREATE INDEX IF NOT EXISTS logs_project_trace_idx ON logs (project_id, trace_id) WHERE trace_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS logs_project_request_idx ON logs (project_id, request_id) WHERE request_id IS NOT NULL;
-- Rows written before the search column have it NULL and are matched on their message as then; only
-- they need the message index, and new rows do not pay for it.
CREATE INDEX IF NOT EXISTS logs_message_legacy_fts_idx ON logs USING gin (to_tsvector('simple', message)) WHERE search IS NULL;
DROP INDEX IF EXISTS logs_message_fts_idx;
`;

/** 'partitioned' (this release), 'plain' (an earlier release's table, until `logflow migrate`), or undefined: none yet. */
export async function logsTableKind(db: pg.Pool | pg.PoolClient, table = 'logs'): Promise<'partitioned' | 'plain' | undefined> {
  const { rows } = await db.query<{ kind: string }>('SELECT relkind::text AS kind FROM pg_class WHERE oid = to_regclass($1)', [table]);
  const kind = rows[0]?.kind;
  return kind === 'p' ? 'partitioned' : kind === undefined ? undefined : 'plain';
}

/**
 * Creates the logs table (partitioned) and its indexes when they are missing; an earlier release's
 * unpartitioned table is brought up to date instead and left for `logflow migrate` to partition. Safe to run from several processes
 * at once: IF NOT EXISTS alone is not, because two concurrent CREATE TABLEs can both pass the check
 * and one then fails on the catalog's unique index. The transaction-scoped advisory lock serialises
 * them and is released by COMMIT or ROLLBACK, even when the connection dies halfway.
 * Expects the projects table to exist already (its migration runs first).
 */
export async function migrateLogs(pool: pg.Pool): Promise<void> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw pgError(err, 'connecting to migrate the logs table');
  }
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATE_LOCK_KEY]);
    await client.query((await logsTableKind(client)) === 'plain' ? LEGACY_DDL : partitionedDdl('logs'));
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackErr: Error) => {
      broken = rollbackErr; // the connection is gone: do not hand it back to the pool
    });
    throw pgError(err, 'migrating the logs table');
  } finally {
    client.release(broken);
  }
}
