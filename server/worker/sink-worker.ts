import type { Redis } from 'ioredis';
import { retry, sleep } from '../../shared/backoff.ts';
import { errorMessage, LogFlowError } from '../../shared/errors.ts';
import type { LogEvent } from '../../shared/event.ts';
import type { Logger } from '../../shared/logger.ts';
import type { DeadLetter, Entry, EventStream } from '../queue/stream.ts';
import type { Sink } from '../stores/types.ts';

export interface SinkWorkerOptions {
  stream: EventStream;
  /** A connection of its own for the blocking read; close() cuts it so the loop can end. */
  blockingConn: Redis;
  sink: Sink;
  consumer: string;
  batchSize: number;
  claimIdleMs: number;
  log: Logger;
  blockMs?: number;
}

/**
 * Moves events from the stream into one store: its own consumer group, so a slow or broken store
 * never holds up another. An entry is acknowledged only after the store confirmed it, or after it
 * went to the dead-letter stream with the store's reason.
 */
export class SinkWorker {
  private readonly abort = new AbortController();
  private running?: Promise<void>;
  private lastClaim = 0;
  /** Events written and acknowledged since start; dead-lettered ones counted apart. */
  readonly stats = { written: 0, deadLettered: 0 };

  constructor(private readonly o: SinkWorkerOptions) {}

  get group(): string {
    return this.o.sink.name;
  }

  async start(): Promise<void> {
    await this.o.stream.ensureGroup(this.group);
    this.running = this.loop().catch((err) => {
      if (!this.abort.signal.aborted) this.o.log.fatal({ err, sink: this.group }, 'sink worker stopped');
    });
  }

  /** Stops reading, lets the batch in hand finish its current attempt, and disconnects. Safe twice. */
  async close(): Promise<void> {
    if (this.abort.signal.aborted) return this.running;
    this.abort.abort();
    this.o.blockingConn.disconnect();
    await this.running;
  }

  private async loop(): Promise<void> {
    const { stream, blockingConn, consumer, batchSize } = this.o;
    // What this consumer took before a restart and never acknowledged comes first.
    for (;;) {
      const mine = await this.guard(() => stream.read(blockingConn, this.group, consumer, batchSize, '0'));
      if (!mine?.length) break;
      await this.process(mine);
    }
    while (!this.abort.signal.aborted) {
      if (Date.now() - this.lastClaim > this.o.claimIdleMs / 2) {
        this.lastClaim = Date.now();
        const stale = await this.guard(() => stream.claimStale(this.group, consumer, this.o.claimIdleMs, batchSize));
        if (stale?.length) {
          this.o.log.warn({ sink: this.group, count: stale.length }, 'claimed entries another worker left unacknowledged');
          await this.process(stale);
          continue;
        }
      }
      const fresh = await this.guard(() => stream.read(blockingConn, this.group, consumer, batchSize, '>', this.o.blockMs ?? 2000));
      if (fresh?.length) await this.process(fresh);
    }
  }

  /** Runs a Redis step; while Redis is away, waits with backoff and says so, instead of crashing. */
  private async guard<T>(step: () => Promise<T>): Promise<T | undefined> {
    try {
      return await retry(step, {
        signal: this.abort.signal,
        baseMs: 250,
        maxMs: 5000,
        onRetry: (err, attempt) => {
          // Someone deleted the stream or our group (a flush, a cleanup): make it again and go on.
          if (errorMessage(err).includes('NOGROUP')) void this.o.stream.ensureGroup(this.group).catch(() => {});
          if (attempt % 10 === 0) this.o.log.warn({ sink: this.group, err: errorMessage(err) }, 'Redis unavailable, retrying');
        },
      });
    } catch (err) {
      if (this.abort.signal.aborted) return undefined;
      throw err;
    }
  }

  private async process(entries: Entry[]): Promise<void> {
    const dead: DeadLetter[] = [];
    let pending: Entry[] = [];
    for (const entry of entries) {
      if (entry.event) pending.push(entry);
      else dead.push({ entry, reason: entry.error ?? 'unreadable entry' });
    }
    const done: string[] = [];
    const startedAt = Date.now();
    let lastKeepAlive = startedAt;
    for (let attempt = 0; pending.length; attempt++) {
      const results = await this.writeWithRetry(pending);
      if (!results) return; // closing: leave the rest pending for the next start or another worker
      const again: Entry[] = [];
      results.forEach((r, i) => {
        const entry = pending[i]!;
        if (r.status === 'ok') done.push(entry.id);
        else if (r.status === 'reject') dead.push({ entry, reason: r.reason });
        else again.push(entry);
      });
      pending = again;
      if (pending.length) {
        // Only the items the store asked us to repeat (e.g. 429s in a bulk reply) go again.
        try {
          await sleep(Math.min(250 * 2 ** Math.min(attempt, 5), 10_000) * Math.random(), this.abort.signal);
        } catch {
          break;
        }
        if (Date.now() - lastKeepAlive > this.o.claimIdleMs / 3) {
          lastKeepAlive = Date.now();
          await this.guard(() => this.o.stream.keepClaimed(this.group, this.o.consumer, pending.map((e) => e.id)));
        }
      }
    }
    await this.settle(done, dead);
  }

  /** Writes a batch, retrying for as long as the store is unreachable; undefined when closing. */
  private async writeWithRetry(entries: Entry[]) {
    const events = entries.map((e) => e.event as LogEvent);
    let lastKeepAlive = Date.now();
    try {
      return await retry(() => this.o.sink.write(events), {
        signal: this.abort.signal,
        baseMs: 250,
        maxMs: 15_000,
        onRetry: (err, attempt, delay) => {
          if (attempt % 5 === 0) this.o.log.warn({ sink: this.group, err: errorMessage(err), events: events.length, retryInMs: delay }, 'store unavailable, retrying');
          if (Date.now() - lastKeepAlive > this.o.claimIdleMs / 3) {
            lastKeepAlive = Date.now();
            // A long outage must not look like a dead worker: keep these entries ours.
            void this.o.stream.keepClaimed(this.group, this.o.consumer, entries.map((e) => e.id)).catch(() => {});
          }
        },
      });
    } catch (err) {
      if (this.abort.signal.aborted) return undefined;
      // A permanent error for the whole batch: every event in it is dead-lettered with that reason.
      if (err instanceof LogFlowError && !err.transient) return events.map(() => ({ status: 'reject' as const, reason: err.message }));
      throw err;
    }
  }

  private async settle(done: string[], dead: DeadLetter[]): Promise<void> {
    if (dead.length) {
      this.o.log.error({ sink: this.group, count: dead.length, reason: dead[0]!.reason }, 'events refused by the store went to the dead-letter stream');
      await this.guard(() => this.o.stream.deadLetter(this.group, dead));
    }
    const ids = [...done, ...dead.map((d) => d.entry.id)];
    await this.guard(() => this.o.stream.ack(this.group, ids));
    this.stats.written += done.length;
    this.stats.deadLettered += dead.length;
  }
}
