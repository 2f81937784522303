import type { AddressInfo } from 'node:net';
import type { Settings } from '../shared/config.ts';
import { errorMessage } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { COPY_KEPT_MS, KeyDirectory } from './auth/key-directory.ts';
import { openPool } from './db.ts';
import { HttpApp } from './http/app.ts';
import { IngestPath } from './ingest/ingest.ts';
import { limitsOf, RedisLimiter } from './ingest/limits.ts';
import { addQueueMetrics } from './metrics/collectors.ts';
import { meteredIngest } from './metrics/metered-ingest.ts';
import { meteredSearch } from './metrics/metered-stores.ts';
import { Metrics } from './metrics/metrics.ts';
import { openQueue } from './queue/open.ts';
import { connectFailFast, connectOrIgnore } from './queue/redis.ts';
import { createSearchBackend } from './stores/registry.ts';
import { TailHub } from './tail/hub.ts';

export interface RunningServer {
  address: AddressInfo;
  close(): Promise<void>;
}

export interface ServerOptions {
  /** Where its metrics go (GET /metrics); `logflow up` passes the one its worker shares. Default: its own. */
  metrics?: Metrics;
}

/** The ingest and query server with its connections; close() ends them all, once. */
export async function startServer(settings: Settings, log: Logger, o: ServerOptions = {}): Promise<RunningServer> {
  const metrics = o.metrics ?? new Metrics();
  // Its statements are searches and key lookups: none may hold PostgreSQL past the search timeout.
  const pool = openPool(settings.DATABASE_URL, 10, { statementTimeoutMs: settings.LOGFLOW_SEARCH_TIMEOUT_MS });
  const queue = await openQueue(settings, 'fail-fast');
  addQueueMetrics(metrics, queue);
  const backend = settings.OPENSEARCH_URL ? 'opensearch' : 'postgres';
  const search = meteredSearch(await createSearchBackend(settings, pool), backend, metrics);
  // Ingest's own state in Redis beside the queue: the copy of the key list (for a PostgreSQL outage)
  // and the per-project rate limits.
  const redis = connectFailFast(settings.REDIS_URL);
  await connectOrIgnore(redis);
  const keyListKey = `${settings.LOGFLOW_NAMESPACE}:api-keys`;
  const keys = new KeyDirectory({
    pool,
    log,
    copy: {
      load: () => redis.get(keyListKey),
      save: async (text) => void (await redis.set(keyListKey, text, 'PX', COPY_KEPT_MS)),
      keep: async () => void (await redis.pexpire(keyListKey, COPY_KEPT_MS)),
    },
  });
  void keys.start();
  const app = new HttpApp({
    projects: keys,
    ingest: meteredIngest(
      new IngestPath({
        queue,
        maxBacklog: settings.LOGFLOW_MAX_BACKLOG,
        limiter: new RedisLimiter(redis, settings.LOGFLOW_NAMESPACE, (id) => limitsOf(keys.project(id), settings)),
      }),
      metrics,
    ),
    search,
    // Live tail reads with a blocking command: a follower of its own, closed when the last reader goes.
    tail: new TailHub(queue, log, settings.LOGFLOW_MAX_TAILS_PER_PROJECT),
    log,
    maxBodyBytes: settings.LOGFLOW_MAX_BODY_BYTES,
    requestTimeoutMs: settings.LOGFLOW_REQUEST_TIMEOUT_MS,
    metrics,
    health: async () => ({
      redis: await queue.check().then(() => null, errorMessage),
      postgres: await pool.query('SELECT 1').then(() => null, errorMessage),
      ...(settings.OPENSEARCH_URL ? { opensearch: await fetch(`${settings.OPENSEARCH_URL}/_cluster/health`, { signal: AbortSignal.timeout(2000) }).then((r) => (r.ok ? null : `HTTP ${r.status}`), errorMessage) } : {}),
    }),
  });
  let address: AddressInfo;
  try {
    address = await app.listen(settings.LOGFLOW_PORT, settings.LOGFLOW_HOST);
  } catch (err) {
    keys.close();
    redis.disconnect();
    queue.close();
    await pool.end();
    throw err;
  }
  log.info({ url: `http://${address.address}:${address.port}`, search: backend }, 'server listening');
  const risk = await queue.durabilityRisk();
  if (risk) log.warn(risk);
  let closing: Promise<void> | undefined;
  return {
    address,
    close: () =>
      (closing ??= (async () => {
        await app.close().catch(() => {});
        keys.close();
        await search.close().catch(() => {});
        queue.close();
        redis.disconnect();
        await pool.end().catch(() => {});
      })()),
  };
}
