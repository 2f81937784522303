import { Redis, type RedisOptions } from 'ioredis';

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

export async function connectOrIgnore(redis: Redis): Promise<void> {
  redis.on('error', () => {});
  try {
    await redis.connect();
  } catch {
    // Not up yet: ioredis keeps reconnecting on its own; commands report the outage.
  }
}
