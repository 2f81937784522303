import type pg from 'pg';
import { errorMessage } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { RetentionPolicy } from '../../shared/retention.ts';
import { pgError } from '../db.ts';
import type { Removal, StoreRetention } from '../stores/types.ts';
import { countRun } from './counters.ts';
import { loadPolicy } from './policy.ts';

/** "logr": one retention run at a time across every worker and `logflow retention` of an installation. */
const RETENTION_LOCK_KEY = 0x6c6f6772;

// One row per store and good run, with what it removed: what the timer asks to know when a store last
// ran (so N workers run it once per interval between them, not N times), and what a person looks at
// afterwards. A failed run leaves no row, so the next look tries again.
const RUNS_DDL = `
CREATE TABLE IF NOT EXISTS retention_runs (
  id bigserial PRIMARY KEY,
  target text NOT NULL,
  started_at timestamptz NOT NULL,
  finished_at timestamptz NOT NULL DEFAULT now(),
  removed jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS retention_runs_target_idx ON retention_runs (target, finished_at DESC);
`;

/** Pools whose database has the run record table: made once per process, not at every look. */
const prepared = new WeakSet<pg.Pool>();

export interface RetentionRunOptions {
  pool: pg.Pool;
  stores: readonly StoreRetention[];
  /** LOGFLOW_RETENTION_DAYS. */
  defaultDays: number;
  log: Logger;
  /** List what is past retention, change nothing (no lock, no record). */
  dryRun?: boolean;
  nowMs?: number;
  /** The worker's timer: only stores whose last good run finished longer ago than this. Undefined: every store, now. */
  everyMs?: number;
  /** Wait for a run another process holds (the CLI) instead of leaving it to that process (the timer). */
  wait?: boolean;
}

export interface RetentionRunResult {
  /** Another process was running retention; nothing was done here. */
  busy: boolean;
  /** Stores that ran. */
  ran: string[];
  removals: Removal[];
  failures: { target: string; error: string }[];
}

/** Runs each store's retention once, under the installation-wide lock; logs and counts what went. */
export async function runRetention(o: RetentionRunOptions): Promise<RetentionRunResult> {
  const nowMs = o.nowMs ?? Date.now();
  const result: RetentionRunResult = { busy: false, ran: [], removals: [], failures: [] };
  if (o.dryRun) {
    const policy = await loadPolicy(o.pool, o.defaultDays);
    for (const store of o.stores) await applyOne(store, () => store.apply(policy, { nowMs, dryRun: true, log: o.log }), result);
    return result;
  }
  const client = await o.pool.connect().catch((err: unknown) => {
    throw pgError(err, 'connecting for retention');
  });
  let broken: Error | undefined;
  try {
    if (o.wait) await client.query('SELECT pg_advisory_lock($1)', [RETENTION_LOCK_KEY]);
    else if (!(await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [RETENTION_LOCK_KEY])).rows[0]!.ok) return { ...result, busy: true };
    try {
      if (!prepared.has(o.pool)) {
        await client.query(RUNS_DDL);
        prepared.add(o.pool);
      }
      let policy: RetentionPolicy | undefined;
      for (const store of o.stores) {
        if (o.everyMs !== undefined && (await ranWithin(client, store.target, o.everyMs))) continue;
        const p = (policy ??= await loadPolicy(o.pool, o.defaultDays));
        const started = new Date();
        const removals = await applyOne(store, () => store.apply(p, { nowMs, dryRun: false, log: o.log }), result);
        if (!removals) continue; // logged by the caller, and tried again at the next look
        for (const r of removals) o.log.info({ ...r }, `removed past retention: ${r.store} ${r.kind} ${r.name}`);
        // The record of this run, and no more than 90 days of them.
        await client.query("DELETE FROM retention_runs WHERE target = $1 AND finished_at < now() - interval '90 days'", [store.target]);
        await client.query('INSERT INTO retention_runs (target, started_at, removed) VALUES ($1, $2, $3)', [store.target, started, JSON.stringify(removals)]);
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [RETENTION_LOCK_KEY]);
    }
  } catch (err) {
    broken = err as Error; // the connection may hold the lock still: never hand it back
    throw pgError(err, 'running retention');
  } finally {
    client.release(broken);
  }
  if (result.ran.length || result.failures.length) countRun(result.removals, result.failures.length);
  return result;
}

/** One store's run; a store that fails is recorded and the others still run. */
async function applyOne(store: StoreRetention, apply: () => Promise<Removal[]>, result: RetentionRunResult): Promise<Removal[] | undefined> {
  try {
    const removals = await apply();
    result.ran.push(store.target);
    result.removals.push(...removals);
    return removals;
  } catch (err) {
    result.failures.push({ target: store.target, error: errorMessage(err) });
    return undefined;
  }
}

async function ranWithin(client: pg.PoolClient, target: string, ms: number): Promise<boolean> {
  const { rows } = await client.query<{ fresh: boolean }>(
    "SELECT EXISTS (SELECT 1 FROM retention_runs WHERE target = $1 AND finished_at > now() - $2 * interval '1 millisecond') AS fresh",
    [target, ms],
  );
  return rows[0]!.fresh;
}
