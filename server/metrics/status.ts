import type pg from 'pg';
import { defaultSinks, type Settings, SINK_NAMES } from '../../shared/config.ts';
import { errorMessage, LogFlowError } from '../../shared/errors.ts';
import { openPool } from '../db.ts';
import { openQueue } from '../queue/open.ts';
import { connectFailFast, connectOrIgnore } from '../queue/redis.ts';
import { createSink } from '../stores/registry.ts';
import { readHeartbeats, type WorkerBeat } from '../worker/heartbeat.ts';

// What `logflow status` shows, read where it is kept rather than from a server: the queue's groups and
// dead letters in Redis, the workers' heartbeats beside them, and each store asked directly. So it
// answers with no server running, and what it says of a store is what a worker would find.

export interface SinkStatus {
  sink: string;
  /** Events no worker has received yet; null when the queue cannot tell (or the group does not exist yet). */
  lag: number | null;
  /** Received by a worker and not settled yet. */
  pending: number;
  /** Seconds since the oldest event this sink has not written was accepted; null when it has written everything. */
  oldestUnwrittenSeconds: number | null;
  /** Events written per second, summed over the running workers (from their last heartbeat). */
  writtenPerSecond: number;
  /** Events written since each running worker started, summed. */
  written: number;
  /** Workers running this sink now. */
  workers: number;
  /** Dead letters kept for this sink (logflow dead-letters list --sink NAME). */
  deadLetters: number;
  /** ok: the store answered its check; down: it did not; not_checked: this environment does not configure it. */
  store: 'ok' | 'down' | 'not_checked';
  /** The store's error, or why it was not checked. */
  storeDetail?: string;
}

export interface Status {
  at: string;
  namespace: string;
  /** Entries kept in the stream. */
  backlog: number;
  workers: WorkerBeat[];
  sinks: SinkStatus[];
}

/** How long a store may take to answer its check before it counts as not answering. */
const CHECK_TIMEOUT_MS = 5000;

export async function readStatus(settings: Settings): Promise<Status> {
  const queue = await openQueue(settings, 'fail-fast');
  const redis = connectFailFast(settings.REDIS_URL);
  let pool: pg.Pool | undefined;
  try {
    await connectOrIgnore(redis);
    await queue.check().catch((err: Error) => {
      throw new LogFlowError('QUEUE_UNAVAILABLE', `Redis at ${settings.REDIS_URL} is not reachable (${err.message}): start it or set REDIS_URL`, { transient: true });
    });
    const [backlog, groups, workers] = await Promise.all([queue.backlog(), queue.groups(), readHeartbeats(redis, settings.LOGFLOW_NAMESPACE)]);
    const configured = defaultSinks(settings);
    // The sinks this environment configures, and any other a group exists for (a worker elsewhere writes to it).
    const names = SINK_NAMES.filter((n) => configured.includes(n) || groups.some((g) => g.name === n));
    const getPool = () => (pool ??= openPool(settings.DATABASE_URL, 2));
    const now = Date.now();
    const sinks = await Promise.all(
      names.map(async (name): Promise<SinkStatus> => {
        const group = groups.find((g) => g.name === name);
        const beats = workers.filter((w) => w.sinks[name]);
        const [store, deadLetters] = await Promise.all([configured.includes(name) ? checkStore(name, settings, getPool) : Promise.resolve({ store: 'not_checked' as const, storeDetail: 'not configured here (LOGFLOW_SINKS, OPENSEARCH_URL): not checked' }), queue.deadLetters.list({ sink: name, limit: 0 }).then((r) => r.total)]);
        return {
          sink: name,
          lag: group?.lag ?? null,
          pending: group?.pending ?? 0,
          oldestUnwrittenSeconds: group?.oldestUnsettledMs == null ? null : Math.max(0, (now - group.oldestUnsettledMs) / 1000),
          writtenPerSecond: beats.reduce((n, w) => n + w.sinks[name]!.writtenPerSecond, 0),
          written: beats.reduce((n, w) => n + w.sinks[name]!.written, 0),
          workers: beats.length,
          deadLetters,
          ...store,
        };
      }),
    );
    return { at: new Date(now).toISOString(), namespace: settings.LOGFLOW_NAMESPACE, backlog, workers, sinks };
  } finally {
    queue.close();
    redis.disconnect();
    await pool?.end().catch(() => {});
  }
}

/** The store's own check, as the worker asks it before refusing an event, bounded in time. */
async function checkStore(name: (typeof SINK_NAMES)[number], settings: Settings, pool: () => pg.Pool): Promise<Pick<SinkStatus, 'store' | 'storeDetail'>> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const sink = await createSink(name, settings, pool);
    try {
      await Promise.race([
        sink.check(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer in ${CHECK_TIMEOUT_MS / 1000} s`)), CHECK_TIMEOUT_MS);
        }),
      ]);
      return { store: 'ok' };
    } finally {
      clearTimeout(timer);
      await sink.close().catch(() => {});
    }
  } catch (err) {
    return { store: 'down', storeDetail: errorMessage(err) };
  }
}
