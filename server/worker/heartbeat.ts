import type { Redis } from 'ioredis';
import { errorMessage } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';

// Each worker says in Redis, every few seconds, what its sinks wrote: `logflow status` reads it to show
// write rates and who is running without knowing where the workers are. A worker that stops saying
// (it died) drops out when its key expires.

export interface SinkBeat {
  /** Events written and settled since the worker started. */
  written: number;
  deadLettered: number;
  /** Events written per second over the last beat's interval. */
  writtenPerSecond: number;
}

export interface WorkerBeat {
  consumer: string;
  /** When it was said (ms since the epoch). */
  at: number;
  sinks: Record<string, SinkBeat>;
}

export interface HeartbeatOptions {
  redis: Redis;
  namespace: string;
  consumer: string;
  stats: () => Record<string, { written: number; deadLettered: number }>;
  log: Logger;
  everyMs?: number;
}

const keyPrefix = (namespace: string) => `${namespace}:workers:`;

export class Heartbeat {
  private timer?: NodeJS.Timeout;
  private last?: { at: number; written: Record<string, number> };
  private readonly everyMs: number;
  private closing?: Promise<void>;

  constructor(private readonly o: HeartbeatOptions) {
    this.everyMs = o.everyMs ?? 5000;
  }

  get key(): string {
    return keyPrefix(this.o.namespace) + this.o.consumer;
  }

  start(): void {
    if (this.timer) return;
    void this.beat();
    this.timer = setInterval(() => void this.beat(), this.everyMs);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    const now = Date.now();
    const stats = this.o.stats();
    const sinks: Record<string, SinkBeat> = {};
    for (const [name, s] of Object.entries(stats)) {
      const before = this.last?.written[name];
      const seconds = this.last ? (now - this.last.at) / 1000 : 0;
      sinks[name] = { ...s, writtenPerSecond: before === undefined || seconds <= 0 ? 0 : (s.written - before) / seconds };
    }
    this.last = { at: now, written: Object.fromEntries(Object.entries(stats).map(([k, v]) => [k, v.written])) };
    const beat: WorkerBeat = { consumer: this.o.consumer, at: now, sinks };
    try {
      // Kept three beats: one missed beat (a slow Redis) does not make a live worker look gone.
      await this.o.redis.set(this.key, JSON.stringify(beat), 'PX', this.everyMs * 3);
    } catch (err) {
      this.o.log.debug({ err: errorMessage(err) }, 'could not write the heartbeat');
    }
  }

  /** Stops beating and removes the key, so status stops counting this worker at once. Safe twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.timer);
      await this.o.redis.del(this.key).catch(() => {});
    })();
    return this.closing;
  }
}

/** The workers that said something lately, by consumer name. */
export async function readHeartbeats(redis: Redis, namespace: string): Promise<WorkerBeat[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${keyPrefix(namespace)}*`, 'COUNT', 500);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  if (!keys.length) return [];
  const values = await redis.mget(...keys);
  return values.flatMap((v) => (v ? [JSON.parse(v) as WorkerBeat] : [])).sort((a, b) => a.consumer.localeCompare(b.consumer));
}
