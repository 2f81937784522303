import type { AddressInfo } from 'node:net';
import os from 'node:os';
import type pg from 'pg';
import { defaultSinks, type Settings, type SinkName } from '../../shared/config.ts';
import { errorMessage } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { openPool } from '../db.ts';
import { addQueueMetrics, addRetentionMetrics, addSinkStatsMetrics } from '../metrics/collectors.ts';
import { meteredSink } from '../metrics/metered-stores.ts';
import { MetricsServer } from '../metrics/metrics-server.ts';
import { Metrics } from '../metrics/metrics.ts';
import { openQueue } from '../queue/open.ts';
import { connectFailFast, connectOrIgnore } from '../queue/redis.ts';
import { RetentionTimer } from '../retention/timer.ts';
import { createRetention, createSink } from '../stores/registry.ts';
import { Heartbeat } from './heartbeat.ts';
import { SinkWorker } from './sink-worker.ts';

export interface WorkerOptions {
  settings: Settings;
  log: Logger;
  sinks?: SinkName[];
  /** Stable across restarts of the same worker (e.g. a container's hostname), so it resumes its own pending entries at once. */
  consumer?: string;
  trimEveryMs?: number;
  /** When the first retention tick is, and how often it looks whether a store is due (tests); LOGFLOW_RETENTION_EVERY_MS says how often it runs. */
  retentionTicks?: { firstAfterMs: number; everyMs: number };
  /** Where its metrics go; `logflow up` passes the one its server shares. Default: its own. */
  metrics?: Metrics;
  /** Serves GET /metrics on this port (LOGFLOW_HOST); undefined: no port of its own (default LOGFLOW_METRICS_PORT). */
  metricsPort?: number;
  /** How often it says in Redis what its sinks wrote (logflow status). */
  heartbeatEveryMs?: number;
}

/** The indexer: one SinkWorker per sink, and the trimming of what every sink has finished with. */
export class Worker {
  private readonly sinkWorkers: SinkWorker[] = [];
  private readonly toClose: (() => Promise<unknown> | void)[] = [];
  private trimTimer?: NodeJS.Timeout;
  private closing?: Promise<void>;
  readonly metrics: Metrics;
  /** Where GET /metrics answers, when it has a port of its own. */
  metricsAddress?: AddressInfo;

  constructor(private readonly o: WorkerOptions) {
    this.metrics = o.metrics ?? new Metrics();
  }

  get sinks(): SinkName[] {
    return this.o.sinks ?? defaultSinks(this.o.settings);
  }

  /**
   * Returns once every sink worker runs. Each prepares and waits for its own store: one store down at
   * start leaves the others writing. A sink that cannot be configured at all (no OPENSEARCH_URL) throws.
   */
  async start(): Promise<void> {
    const { settings, log } = this.o;
    const queue = await openQueue(settings, 'patient', log);
    this.toClose.push(() => queue.close());
    let pool: pg.Pool | undefined;
    const getPool = () => {
      if (!pool) {
        const p = (pool = openPool(settings.DATABASE_URL));
        this.toClose.push(() => p.end());
      }
      return pool;
    };
    const consumer = this.o.consumer ?? `${os.hostname()}-${process.pid}`;
    for (const name of this.sinks) {
      const sink = meteredSink(await createSink(name, settings, getPool), this.metrics);
      this.toClose.push(() => sink.close());
      const w = new SinkWorker({
        queue,
        sink,
        consumer,
        batchSize: settings.LOGFLOW_WORKER_BATCH,
        inFlight: settings.LOGFLOW_WORKER_IN_FLIGHT,
        claimIdleMs: settings.LOGFLOW_CLAIM_IDLE_MS,
        log: log.child({ sink: name }),
      });
      w.start();
      this.sinkWorkers.push(w);
    }
    this.trimTimer = setInterval(() => {
      queue.trim().then(
        (n) => n && log.debug({ trimmed: n }, 'trimmed entries every sink has acknowledged'),
        (err) => log.warn({ err: errorMessage(err) }, 'could not trim the stream'),
      );
    }, this.o.trimEveryMs ?? 5000);
    this.trimTimer.unref();
    await this.startRetention(getPool);
    await this.startReporting(queue, consumer);
    log.info({ sinks: this.sinks, consumer, ...(this.metricsAddress ? { metrics: `http://${this.metricsAddress.address}:${this.metricsAddress.port}/metrics` } : {}) }, 'worker started');
  }

  /** Metrics (and their port when asked for one), and the heartbeat `logflow status` reads its write rates from. */
  private async startReporting(queue: Parameters<typeof addQueueMetrics>[1], consumer: string): Promise<void> {
    const { settings, log } = this.o;
    addQueueMetrics(this.metrics, queue);
    addSinkStatsMetrics(this.metrics, () => this.stats());
    addRetentionMetrics(this.metrics);
    const redis = connectFailFast(settings.REDIS_URL);
    this.toClose.push(() => redis.disconnect());
    await connectOrIgnore(redis);
    const heartbeat = new Heartbeat({ redis, namespace: settings.LOGFLOW_NAMESPACE, consumer, stats: () => this.stats(), log, everyMs: this.o.heartbeatEveryMs });
    this.toClose.push(() => heartbeat.close());
    heartbeat.start();
    const port = this.o.metricsPort ?? settings.LOGFLOW_METRICS_PORT;
    if (port === undefined) return;
    const server = new MetricsServer(this.metrics);
    this.metricsAddress = await server.listen(port, settings.LOGFLOW_HOST);
    this.toClose.push(() => server.close());
  }

  /** Retention of the stores this worker writes to, on a timer shared with every other worker. */
  private async startRetention(pool: () => pg.Pool): Promise<void> {
    const { settings, log } = this.o;
    if (settings.LOGFLOW_RETENTION_EVERY_MS === 0) return;
    const stores = await Promise.all(this.sinks.map((name) => createRetention(name, settings, pool)));
    const timer = new RetentionTimer({
      pool: pool(),
      stores,
      defaultDays: settings.LOGFLOW_RETENTION_DAYS,
      log: log.child({ part: 'retention' }),
      everyMs: settings.LOGFLOW_RETENTION_EVERY_MS,
      firstAfterMs: this.o.retentionTicks?.firstAfterMs,
      tickMs: this.o.retentionTicks?.everyMs,
    });
    for (const s of stores) this.toClose.push(() => s.close());
    this.toClose.push(() => timer.close());
    timer.start();
  }

  stats(): Record<string, { written: number; deadLettered: number }> {
    return Object.fromEntries(this.sinkWorkers.map((w) => [w.group, { ...w.stats }]));
  }

  /** Each step runs on its own, so one failing cleanup never skips the others. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.trimTimer);
      await Promise.allSettled(this.sinkWorkers.map((w) => w.close()));
      for (const step of this.toClose.reverse()) {
        try {
          await step();
        } catch (err) {
          this.o.log.warn({ err: errorMessage(err) }, 'cleanup step failed');
        }
      }
    })();
    return this.closing;
  }
}
