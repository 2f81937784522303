import os from 'node:os';
import type pg from 'pg';
import { defaultSinks, type Settings, type SinkName } from '../../shared/config.ts';
import { retry } from '../../shared/backoff.ts';
import { errorMessage } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { openPool } from '../db.ts';
import { connectOrIgnore, connectPatient } from '../queue/redis.ts';
import { EventStream } from '../queue/stream.ts';
import { createSink } from '../stores/registry.ts';
import { SinkWorker } from './sink-worker.ts';

export interface WorkerOptions {
  settings: Settings;
  log: Logger;
  sinks?: SinkName[];
  /** Stable across restarts of the same worker (e.g. a container's hostname), so it resumes its own pending entries at once. */
  consumer?: string;
  trimEveryMs?: number;
}

/** The indexer: one SinkWorker per sink, and the trimming of what every sink has finished with. */
export class Worker {
  private readonly sinkWorkers: SinkWorker[] = [];
  private readonly toClose: (() => Promise<unknown> | void)[] = [];
  private trimTimer?: NodeJS.Timeout;
  private closing?: Promise<void>;

  constructor(private readonly o: WorkerOptions) {}

  get sinks(): SinkName[] {
    return this.o.sinks ?? defaultSinks(this.o.settings);
  }

  async start(): Promise<void> {
    const { settings, log } = this.o;
    const redis = connectPatient(settings.REDIS_URL);
    await connectOrIgnore(redis);
    this.toClose.push(() => redis.disconnect());
    const stream = new EventStream(redis, settings.LOGFLOW_NAMESPACE);
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
      const sink = await createSink(name, settings, getPool);
      this.toClose.push(() => sink.close());
      // A store that is down at start is waited for, as it would be later: the worker must not
      // crash because OpenSearch boots slower than it does.
      await retry(() => sink.prepare(), {
        maxMs: 10_000,
        onRetry: (err, attempt) => attempt % 5 === 0 && log.warn({ sink: name, err: errorMessage(err) }, 'store not ready, retrying'),
      });
      const blockingConn = connectPatient(settings.REDIS_URL);
      await connectOrIgnore(blockingConn);
      const w = new SinkWorker({
        stream,
        blockingConn,
        sink,
        consumer,
        batchSize: settings.LOGFLOW_WORKER_BATCH,
        claimIdleMs: settings.LOGFLOW_CLAIM_IDLE_MS,
        log: log.child({ sink: name }),
      });
      await w.start();
      this.sinkWorkers.push(w);
    }
    this.trimTimer = setInterval(() => {
      stream.trim().then(
        (n) => n && log.debug({ trimmed: n }, 'trimmed entries every sink has acknowledged'),
        (err) => log.warn({ err: errorMessage(err) }, 'could not trim the stream'),
      );
    }, this.o.trimEveryMs ?? 5000);
    this.trimTimer.unref();
    log.info({ sinks: this.sinks, consumer, stream: stream.key }, 'worker started');
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
