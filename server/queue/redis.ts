import { Redis, type RedisOptions } from 'ioredis';
import { LogFlowError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';

/**
 * A connection for request paths (ingest, health): commands fail at once while Redis is away instead
 * of queueing in memory, so the server can answer 503 and the client keeps the events.
 */
export function connectFailFast(url: string): Redis {
  return new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true, ...reconnect });
}

/**
 * A connection for the worker: commands wait for a reconnect (the worker's own loop decides when to
 * give up), and a blocking XREADGROUP gets a connection of its own so close() can cut it.
 */
export function connectPatient(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true, ...reconnect });
}

// Reconnect quickly at first, then every 2 s, forever: an outage of Redis ends on its own.
const reconnect: RedisOptions = { retryStrategy: (attempt) => Math.min(attempt * 200, 2000) };

/**
 * Says when a patient connection loses Redis and when it has it back, once each: its commands wait
 * quietly for the reconnect, and a worker that says nothing while Redis is away looks like one that hangs.
 */
export function reportOutages(redis: Redis, log: Logger): void {
  let down = false;
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    log.warn({ err: err.message }, 'Redis unavailable: waiting for it to come back (the events wait in it)');
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    log.info('Redis is back');
  });
}

export async function connectOrIgnore(redis: Redis): Promise<void> {
  redis.on('error', () => {});
  try {
    await redis.connect();
  } catch {
    // Not up yet: ioredis keeps reconnecting on its own; commands report the outage.
  }
}

/**
 * What an accepted event risks in this Redis, from its persistence settings: the server answers 200
 * once Redis has the events, and that promise is only as good as what Redis keeps across a restart.
 */
function durabilityRisk(appendonly: string, appendfsync: string): string | undefined {
  if (appendonly !== 'yes') {
    return 'Redis keeps no append-only file (appendonly no): events accepted (answered 200) but not yet written by every sink are lost if Redis restarts; run it with --appendonly yes';
  }
  if (appendfsync === 'no') {
    return 'Redis writes its append-only file without fsync (appendfsync no): a crash of the machine can lose the last ~30 s of accepted events; everysec loses at most one second';
  }
  return undefined;
}

/** durabilityRisk of the Redis behind `redis`; undefined too when it does not say (CONFIG disabled, as on some managed services). */
export async function readDurabilityRisk(redis: Redis): Promise<string | undefined> {
  try {
    const [, appendonly] = (await redis.config('GET', 'appendonly')) as string[];
    const [, appendfsync] = (await redis.config('GET', 'appendfsync')) as string[];
    return durabilityRisk(appendonly ?? '', appendfsync ?? '');
  } catch {
    return undefined;
  }
}

/** Runs a MULTI and throws QUEUE_UNAVAILABLE (transient) unless every command in it succeeded. */
export async function execAll(tx: ReturnType<Redis['multi']>, doing: string): Promise<void> {
  let results: [Error | null, unknown][] | null;
  try {
    results = await tx.exec();
  } catch (err) {
    throw unavailable(err, doing);
  }
  const failed = results?.find(([err]) => err);
  if (!results || failed) throw unavailable(failed?.[0] ?? new Error('transaction aborted'), doing);
}

function unavailable(err: unknown, doing: string): LogFlowError {
  return new LogFlowError('QUEUE_UNAVAILABLE', `Redis did not ${doing}: ${(err as Error)?.message ?? err}`, { transient: true, cause: err, retryAfterSeconds: 2 });
}
