import type pg from 'pg';
import { pgError } from '../../db.ts';

// Any constant works as long as every LogFlow process uses the same one for the logs table and no
// other migration does; it reads "logs" in ASCII so it is recognisable in pg_locks.
const MIGRATE_LOCK_KEY = 0x6c6f6773;

// event_id is COLLATE "C" so that ORDER BY event_id and the cursor's row comparison compare bytes:
// the order is then the same for every database locale and matches the index.
// service, level and message are NOT NULL because LogEvent requires them and fromRow must not invent them.
const DDL = `
CREATE TABLE IF NOT EXISTS logs (
  id bigserial PRIMARY KEY,
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
  CONSTRAINT logs_project_event_key UNIQUE (project_id, event_id)
);
CREATE INDEX IF NOT EXISTS logs_project_ts_idx ON logs (project_id, ts DESC, event_id DESC);
CREATE INDEX IF NOT EXISTS logs_project_service_ts_idx ON logs (project_id, service, ts DESC);
-- What search reads (search-terms.ts): LogFlow's words and field terms, and the number terms.
ALTER TABLE logs ADD COLUMN IF NOT EXISTS search tsvector NULL;
ALTER TABLE logs ADD COLUMN IF NOT EXISTS nums text[] COLLATE "C" NULL;
CREATE INDEX IF NOT EXISTS logs_search_idx ON logs USING gin (search);
-- The planner picks between walking the time index (a common word: the newest hits come at once) and
-- the GIN index (a rare one: few rows to sort) by how often it believes a lexeme occurs. With the
-- default statistics it believes any lexeme it did not sample occurs in 0.2% of rows, and walks the
-- whole time index for a trace's field value; 2000 samples enough lexemes to know rare ones are rare.
ALTER TABLE logs ALTER COLUMN search SET STATISTICS 2000;
CREATE INDEX IF NOT EXISTS logs_project_level_ts_idx ON logs (project_id, level, ts DESC);
CREATE INDEX IF NOT EXISTS logs_project_trace_idx ON logs (project_id, trace_id) WHERE trace_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS logs_project_request_idx ON logs (project_id, request_id) WHERE request_id IS NOT NULL;
-- Rows written before the search column have it NULL and are matched on their message as then; only
-- they need the message index, and new rows do not pay for it.
CREATE INDEX IF NOT EXISTS logs_message_legacy_fts_idx ON logs USING gin (to_tsvector('simple', message)) WHERE search IS NULL;
DROP INDEX IF EXISTS logs_message_fts_idx;
`;

/**
 * Creates the logs table and its indexes when they are missing. Safe to run from several processes
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
    await client.query(DDL);
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
