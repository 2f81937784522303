import { defaultSinks, type Settings } from '../shared/config.ts';
import type { Logger } from '../shared/logger.ts';
import { migrateProjects } from './auth/projects.ts';
import { ensureDatabase, openPool } from './db.ts';
import { LogFlowError } from '../shared/errors.ts';
import { connectFailFast } from './queue/redis.ts';
import { EventStream } from './queue/stream.ts';
import { createSink } from './stores/registry.ts';

/**
 * Everything LogFlow needs, created when missing, safe to run any number of times: the database and
 * its tables, the OpenSearch index template, and one consumer group per sink. Groups are created
 * before any worker runs so no sink's share of the stream is trimmed before it first reads.
 */
export async function migrate(settings: Settings, log: Logger): Promise<void> {
  await ensureDatabase(settings.DATABASE_URL);
  const pool = openPool(settings.DATABASE_URL);
  const redis = connectFailFast(settings.REDIS_URL);
  redis.on('error', () => {});
  try {
    await redis.connect().catch((err: Error) => {
      throw new LogFlowError('QUEUE_UNAVAILABLE', `Redis at ${settings.REDIS_URL} is not reachable (${err.message}): start it or set REDIS_URL`, { transient: true });
    });
    await migrateProjects(pool);
    const stream = new EventStream(redis, settings.LOGFLOW_NAMESPACE);
    const sinks = defaultSinks(settings);
    for (const name of sinks) {
      const sink = await createSink(name, settings, () => pool);
      try {
        await sink.prepare();
      } finally {
        await sink.close();
      }
      await stream.ensureGroup(name);
    }
    log.info({ database: new URL(settings.DATABASE_URL).pathname.slice(1), sinks, stream: stream.key }, 'migrated');
  } finally {
    redis.disconnect();
    await pool.end();
  }
}
