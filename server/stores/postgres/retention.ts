import pg from 'pg';
import type { Logger } from '../../../shared/logger.ts';
import { projectCutoff, startOfUtcDay } from '../../../shared/retention.ts';
import { pgError } from '../../db.ts';
import type { Removal, StoreRetention } from '../types.ts';
import type { RangePartition } from './partition-layout.ts';
import { LogPartitions, PARTITION_LOCK_KEY, readLayout } from './partitions.ts';
import { logsTableKind } from './schema.ts';

// Retention drops tables, never deletes rows: a project's leaf of a range goes once the whole range
// is past that project's retention (partition-layout.ts). Dropping a leaf locks its range for a moment
// (not the logs table): only that period's writes and searches could wait, and never longer than
// LEAF_LOCK_TIMEOUT; a leaf busy for longer is left for the next run. A range with no leaves left is
// dropped too, which locks the whole table for an instant, so it only waits briefly.

const LEAF_LOCK_TIMEOUT = '2s';
const RANGE_LOCK_TIMEOUT = '200ms';
const id = (name: string) => pg.escapeIdentifier(name);

export function createPostgresRetention({ pool }: { pool: pg.Pool }): StoreRetention {
  const partitions = new LogPartitions(pool);
  return {
    store: 'postgres',
    target: 'postgres',
    async apply(policy, { nowMs, dryRun, log }) {
      const kind = await logsTableKind(pool).catch((err: unknown) => {
        throw pgError(err, 'looking for the logs table');
      });
      if (kind !== 'partitioned') {
        if (kind === 'plain') log.warn('the logs table is not partitioned yet, so retention cannot drop its days: run logflow migrate');
        return [];
      }
      if (!dryRun) {
        const made = await partitions.createAhead(nowMs);
        if (made.length) log.info({ partitions: made }, 'made partitions for the coming days');
      }
      const { ranges } = await readLayout(pool, 'logs').catch((err: unknown) => {
        throw pgError(err, 'reading the partitions of the logs table');
      });
      const removals: Removal[] = [];
      for (const range of ranges) {
        for (const [projectId, leaf] of range.leaves) {
          if (range.endMs > projectCutoff(policy, projectId, nowMs)) continue;
          const removal = await dropLeaf(pool, leaf, dryRun, log);
          if (removal) removals.push({ ...removal, projectId, before: new Date(range.endMs).toISOString() });
        }
      }
      if (!dryRun) await dropEmptyRanges(pool, nowMs, log);
      return removals;
    },
    close: async () => {},
  };
}

/** Counts the leaf's rows and (unless dryRun) drops it, in one transaction; undefined when it was too busy to drop now. */
async function dropLeaf(pool: pg.Pool, leaf: string, dryRun: boolean, log: Logger): Promise<Omit<Removal, 'before'> | undefined> {
  const client = await pool.connect().catch((err: unknown) => {
    throw pgError(err, 'connecting for retention');
  });
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    await client.query(`SET LOCAL lock_timeout = '${LEAF_LOCK_TIMEOUT}'`);
    const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${id(leaf)}`);
    if (!dryRun) await client.query(`DROP TABLE ${id(leaf)}`);
    await client.query('COMMIT');
    return { store: 'postgres', kind: 'partition', name: leaf, events: Number(rows[0]!.n) };
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackErr: Error) => (broken = rollbackErr));
    const code = (err as { code?: string }).code;
    if (code === '55P03') {
      log.warn({ partition: leaf }, 'partition past retention is busy: left for the next run');
      return undefined;
    }
    if (code === '42P01') return undefined; // dropped meanwhile (a retention run from an older worker)
    throw pgError(err, `dropping partition ${leaf}`);
  } finally {
    client.release(broken);
  }
}

/**
 * Ranges of past days left without leaves. Checked and dropped under the partition lock, so a
 * writer cannot attach a leaf to a range being dropped (DROP would take the leaf and its rows along).
 */
async function dropEmptyRanges(pool: pg.Pool, nowMs: number, log: Logger): Promise<void> {
  const { ranges } = await readLayout(pool, 'logs');
  const empty = ranges.filter((r: RangePartition) => !r.plain && r.leaves.size === 0 && r.endMs <= startOfUtcDay(nowMs));
  for (const range of empty) {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      await client.query(`SET LOCAL lock_timeout = '${RANGE_LOCK_TIMEOUT}'`);
      await client.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK_KEY]);
      const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM pg_inherits WHERE inhparent = to_regclass($1)', [range.name]);
      if (Number(rows[0]!.n) === 0) await client.query(`DROP TABLE IF EXISTS ${id(range.name)}`);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: Error) => (broken = rollbackErr));
      if ((err as { code?: string }).code !== '55P03') throw pgError(err, `dropping the empty range ${range.name}`);
      log.debug({ range: range.name }, 'empty range busy: left for the next run');
    } finally {
      client.release(broken);
    }
  }
}
