import pg from 'pg';
import { LogFlowError } from '../../../shared/errors.ts';
import type { Logger } from '../../../shared/logger.ts';
import { pgError } from '../../db.ts';
import { LogPartitions, type Placed } from './partitions.ts';
import { LOG_COLUMNS } from './query.ts';
import { logsTableKind, MIGRATE_LOCK_KEY, partitionedDdl } from './schema.ts';
import { SEARCH_COLUMNS } from './search-terms.ts';

// `logflow migrate` turning an earlier release's unpartitioned logs table into the partitioned one,
// without losing a row, while workers keep writing into it:
//  1. a partitioned table is filled under another name, in chunks of the old table's ids, with the
//     partitions each chunk needs, while writes go on; the last id copied is kept in the new table's
//     comment, so a migration that stops resumes there;
//  2. one short transaction blocks writes (reads go on), copies what came meanwhile, checks that both
//     tables hold as many rows, drops the old table and gives the new one its name. A worker's insert
//     that waited for it then goes into the new table (PostgreSQL looks the name up again after the
//     wait), meets a missing partition at worst, and is written again once it is made.
// Ids are only a guide to what is copied once it is safe to read: before each chunk's upper bound is
// read, the old table is locked for a moment in SHARE mode, which waits for every insert in flight,
// so no insert can still commit a smaller id after the bound was read.

const STAGING = 'logs_partitioned';
/** "logc": one conversion at a time; a second process waits, then finds the table partitioned. */
const CONVERT_LOCK_KEY = 0x6c6f6763;
const CATCH_UP_ROUNDS = 4;
const COPIED = /^logflow: copied through id (\d+)$/;

const COLUMNS = `${LOG_COLUMNS}, ${SEARCH_COLUMNS.join(', ')}`;
const id = (name: string) => pg.escapeIdentifier(name);

export interface ConvertOptions {
  log: Logger;
  /** Ids per chunk copied while writes go on. */
  chunk?: number;
  /** Called after each chunk, with the last id copied (tests stop or interleave here). */
  onChunk?: (copiedThrough: number) => Promise<void> | void;
}

/**
 * Partitions the logs table when it is an earlier release's; answers how many rows moved, or
 * undefined when there was nothing to do. Idempotent, and safe to run from several processes at once.
 */
export async function partitionLogs(pool: pg.Pool, o: ConvertOptions): Promise<number | undefined> {
  const client = await pool.connect().catch((err: unknown) => {
    throw pgError(err, 'connecting to partition the logs table');
  });
  let broken: Error | undefined;
  try {
    await client.query('SELECT pg_advisory_lock($1)', [CONVERT_LOCK_KEY]);
    if ((await logsTableKind(client)) !== 'plain') return undefined;
    if (!(await hasIds(client))) {
      throw new LogFlowError('STORE_REJECTED', 'the logs table has no id column, so it cannot be copied while workers write: it was not made by LogFlow');
    }
    await client.query(partitionedDdl(STAGING));
    const partitions = new LogPartitions(pool, STAGING);
    let done = await copiedThrough(client);
    o.log.info({ resumingAfterId: done }, 'partitioning the logs table: copying rows while workers write');
    // Each round copies what came during the one before. Writers faster than the copy would keep it
    // going for ever, so after a few rounds the rest is copied while writes wait (the swap).
    for (let round = 0; round < CATCH_UP_ROUNDS; round++) {
      const upTo = await settledMaxId(client);
      if (upTo - done <= (o.chunk ?? 50_000)) break;
      for (let from = done; from < upTo; from = Math.min(upTo, from + (o.chunk ?? 50_000))) {
        const to = Math.min(upTo, from + (o.chunk ?? 50_000));
        await copyIds(client, partitions, from, to);
        done = to;
        await o.onChunk?.(done);
      }
      o.log.info({ copiedThroughId: done }, 'partitioning the logs table');
    }
    return await swap(client, partitions, done);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    if (isConnectionGone(err)) broken = err as Error;
    throw pgError(err, 'partitioning the logs table');
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [CONVERT_LOCK_KEY]).catch((err: Error) => (broken = err));
    client.release(broken);
  }
}

async function hasIds(client: pg.PoolClient): Promise<boolean> {
  const { rowCount } = await client.query("SELECT 1 FROM pg_attribute WHERE attrelid = 'logs'::regclass AND attname = 'id' AND NOT attisdropped");
  return rowCount === 1;
}

async function copiedThrough(client: pg.PoolClient): Promise<number> {
  const { rows } = await client.query<{ c: string | null }>(`SELECT obj_description($1::regclass, 'pg_class') AS c`, [STAGING]);
  return Number(COPIED.exec(rows[0]?.c ?? '')?.[1] ?? 0);
}

/** The largest id no insert in flight can still commit below: SHARE waits for every writer, for a moment. */
async function settledMaxId(client: pg.PoolClient): Promise<number> {
  await client.query('BEGIN');
  await client.query('LOCK TABLE logs IN SHARE MODE');
  const { rows } = await client.query<{ m: string }>('SELECT coalesce(max(id), 0) AS m FROM logs');
  await client.query('COMMIT');
  return Number(rows[0]!.m);
}

/** Rows with from < id <= to, into the partitions they need, and the progress with them. */
async function copyIds(client: pg.PoolClient, partitions: LogPartitions, from: number, to: number): Promise<void> {
  await partitions.ensure(await needs(client, from, to));
  await client.query('BEGIN');
  await client.query(`INSERT INTO ${STAGING} (${COLUMNS}) SELECT ${COLUMNS} FROM logs WHERE id > $1 AND id <= $2 ON CONFLICT DO NOTHING`, [from, to]);
  await client.query(`COMMENT ON TABLE ${STAGING} IS 'logflow: copied through id ${to}'`);
  await client.query('COMMIT');
}

/** One event per partition the rows need: its project, its day, its ingest month (what the layout is chosen by). */
async function needs(client: pg.PoolClient, from: number, to?: number): Promise<Placed[]> {
  const { rows } = await client.query<{ project_id: string; day: Date; month: Date }>(
    `SELECT DISTINCT project_id, date_trunc('day', ts, 'UTC') AS day, date_trunc('month', ingest_ts, 'UTC') AS month FROM logs WHERE id > $1 AND ($2::bigint IS NULL OR id <= $2)`,
    [from, to ?? null],
  );
  return rows.map((r) => ({ project_id: Number(r.project_id), timestamp: r.day.toISOString(), ingest_ts: r.month.toISOString() }));
}

/** Writes blocked (reads go on) while the rest is copied, the counts compared and the names swapped. */
async function swap(client: pg.PoolClient, partitions: LogPartitions, done: number): Promise<number> {
  await client.query('BEGIN');
  // Against a worker's start (migrateLogs), which alters the old table while it is still `logs`.
  await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATE_LOCK_KEY]);
  await client.query('LOCK TABLE logs IN EXCLUSIVE MODE');
  await partitions.ensure(await needs(client, done));
  await client.query(`INSERT INTO ${STAGING} (${COLUMNS}) SELECT ${COLUMNS} FROM logs WHERE id > $1 ON CONFLICT DO NOTHING`, [done]);
  const count = async (table: string) => Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
  const [before, after] = [await count('logs'), await count(STAGING)];
  if (before !== after) {
    throw new LogFlowError('STORE_REJECTED', `the partitioned copy holds ${after} rows and the logs table ${before}: nothing was changed; run logflow migrate again`);
  }
  await client.query('DROP TABLE logs');
  await client.query(`ALTER TABLE ${STAGING} RENAME TO logs`);
  const { rows } = await client.query<{ name: string; kind: string }>(
    `SELECT conname AS name, 'constraint' AS kind FROM pg_constraint WHERE conrelid = 'logs'::regclass AND conname LIKE '${STAGING}\\_%'
     UNION ALL SELECT c.relname, 'index' FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'logs'::regclass AND c.relname LIKE '${STAGING}\\_%'
       AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = c.oid)`,
  );
  for (const r of rows) {
    const name = `logs${r.name.slice(STAGING.length)}`;
    await client.query(r.kind === 'index' ? `ALTER INDEX ${id(r.name)} RENAME TO ${id(name)}` : `ALTER TABLE logs RENAME CONSTRAINT ${id(r.name)} TO ${id(name)}`);
  }
  await client.query('COMMENT ON TABLE logs IS NULL');
  await client.query('COMMIT');
  return after;
}

function isConnectionGone(err: unknown): boolean {
  return err instanceof Error && /Connection terminated|ECONNRESET|EPIPE/.test(err.message);
}
