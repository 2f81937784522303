import { defaultSinks, type Settings } from '../shared/config.ts';
import type { Logger } from '../shared/logger.ts';
import { migrateProjects } from './auth/projects.ts';
import { ensureDatabase, openPool } from './db.ts';
import { errorMessage, isTransient, LogFlowError } from '../shared/errors.ts';
import { openQueue } from './queue/open.ts';
import { createSink } from './stores/registry.ts';

/**
 * Everything LogFlow needs, created when missing, safe to run any number of times: the database and
 * its tables, the OpenSearch index template, and one consumer group per sink. Groups are created
 * first, before any worker runs, so no sink's share of the stream is trimmed before it first reads.
 * With `storesMayWait` (logflow up, which runs the worker next), a store that cannot be reached is
 * left to its sink worker, which prepares it once it answers, instead of stopping everything.
 */
export async function migrate(settings: Settings, log: Logger, o: { storesMayWait?: boolean } = {}): Promise<void> {
  await ensureDatabase(settings.DATABASE_URL);
  const pool = openPool(settings.DATABASE_URL);
  const queue = await openQueue(settings, 'fail-fast');
  try {
    await queue.check().catch((err: Error) => {
      throw new LogFlowError('QUEUE_UNAVAILABLE', `Redis at ${settings.REDIS_URL} is not reachable (${err.message}): start it or set REDIS_URL`, { transient: true });
    });
    await migrateProjects(pool);
    const sinks = defaultSinks(settings);
    for (const name of sinks) await queue.ensureGroup(name);
    for (const name of sinks) {
      const sink = await createSink(name, settings, () => pool);
      try {
        await sink.prepare();
      } catch (err) {
        if (!o.storesMayWait || !isTransient(err)) throw err;
        log.warn({ sink: name, err: errorMessage(err) }, 'store not reachable: its sink worker prepares it once it answers, the other sinks run meanwhile');
      } finally {
        await sink.close();
      }
    }
    if (sinks.includes('postgres')) {
      const { partitionLogs } = await import('./stores/postgres/convert.ts');
      const moved = await partitionLogs(pool, { log });
      if (moved !== undefined) log.info({ rows: moved }, 'the logs table is partitioned now: retention drops whole days of it');
    }
    log.info({ database: new URL(settings.DATABASE_URL).pathname.slice(1), sinks }, 'migrated');
  } finally {
    queue.close();
    await pool.end();
  }
}
