import { backoffDelay, retry, retryDelay, sleep } from '../../shared/backoff.ts';
import { errorMessage, isTransient } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Delivery, EventQueue, GroupConsumer, Refusal } from '../queue/queue.ts';
import type { Sink } from '../stores/types.ts';
import { BatchWriter } from './batch-writer.ts';

export interface SinkWorkerOptions {
  queue: EventQueue;
  sink: Sink;
  /** Stable across restarts, so a restarted worker resumes what it held at once. */
  consumer: string;
  batchSize: number;
  /** Batches being written to the store at once (read ahead while the store works on the others); 1 at least. */
  inFlight?: number;
  /** How long a silent consumer's events wait before another takes them over. */
  claimIdleMs: number;
  /** Already names the sink: lines logged here do not repeat it. */
  log: Logger;
  blockMs?: number;
}

/**
 * Moves events from the queue into one store: its own group, so a slow or broken store never holds
 * up another. It prepares its store itself (waiting for it as long as it takes), so a store that is
 * down at start leaves the others running. An event is settled only after the store confirmed it, or
 * after it went to the dead letters with the store's reason.
 *
 * Up to `inFlight` batches are written at once: while the store works on one, the next is read and
 * encoded, and a store that takes several requests at a time (an OpenSearch node, PostgreSQL's
 * backends) gets them. Each batch is settled on its own when its write is done, in whatever order
 * they finish: every store is idempotent by event_id, so no order between batches is needed.
 */
export class SinkWorker {
  private readonly abort = new AbortController();
  private readonly writer: BatchWriter;
  private consumer?: GroupConsumer;
  private running?: Promise<void>;
  private lastTakeOver = 0;
  /** The batches in hand: being written or settled. The one lease renews all of them. */
  private readonly inHand = new Set<readonly Delivery[]>();
  private readonly writing = new Set<Promise<void>>();
  private failure?: { err: unknown };
  private lease?: NodeJS.Timeout;
  /** Events written and settled since start; dead-lettered ones counted apart. */
  readonly stats = { written: 0, deadLettered: 0 };

  constructor(private readonly o: SinkWorkerOptions) {
    this.writer = new BatchWriter({ sink: o.sink, signal: this.abort.signal, log: o.log });
  }

  get group(): string {
    return this.o.sink.name;
  }

  /** Returns at once; the store is prepared and read from in the background until close(). */
  start(): void {
    if (this.running) return;
    this.consumer = this.o.queue.consumer(this.group, this.o.consumer);
    this.running = this.runUntilClosed();
  }

  /** Stops reading, lets the batch in hand stop at its current attempt (left unsettled), and disconnects. Safe twice. */
  async close(): Promise<void> {
    if (!this.abort.signal.aborted) {
      this.abort.abort();
      this.consumer?.close();
    }
    await this.running;
  }

  /** A failure nobody planned for restarts the loop after a pause, rather than leave the sink idle for good. */
  private async runUntilClosed(): Promise<void> {
    await this.step(() => this.o.queue.ensureGroup(this.group));
    await this.prepare();
    for (let attempt = 0; !this.aborted(); attempt++) {
      try {
        await this.run();
      } catch (err) {
        if (this.aborted()) break;
        this.o.log.error({ err }, 'sink worker failed, restarting its loop');
        await sleep(backoffDelay(attempt, 1000, 30_000), this.abort.signal).catch(() => {});
      }
    }
  }

  private async run(): Promise<void> {
    try {
      await this.readAndWrite();
    } finally {
      // Whatever ended the reading (closing, a failure), the batches in hand finish or stop first.
      await Promise.allSettled([...this.writing]);
    }
    this.throwFailure();
  }

  private async readAndWrite(): Promise<void> {
    const consumer = this.consumer!;
    const { batchSize, claimIdleMs } = this.o;
    // What this consumer took before a restart and never settled comes first, one batch at a time:
    // each read starts at the oldest entry it holds, which would be the batch still being written.
    while (!this.aborted()) {
      const mine = await this.step(() => consumer.unsettled(batchSize));
      if (!mine?.length) break;
      await this.process(mine);
      this.throwFailure();
    }
    while (!this.aborted()) {
      this.throwFailure();
      if (Date.now() - this.lastTakeOver > claimIdleMs / 2) {
        this.lastTakeOver = Date.now();
        const stale = await this.step(() => consumer.takeOver(claimIdleMs, batchSize));
        if (stale?.length) {
          this.o.log.warn({ count: stale.length }, 'took over events another worker left unsettled');
          await this.submit(stale);
          continue;
        }
      }
      const fresh = await this.step(() => consumer.next(batchSize, this.o.blockMs ?? 2000));
      if (fresh?.length) await this.submit(fresh);
    }
  }

  /** Starts writing a batch beside the others in hand; returns once there is room for another. */
  private async submit(deliveries: Delivery[]): Promise<void> {
    const writing: Promise<void> = this.process(deliveries).then(
      () => void this.writing.delete(writing),
      (err: unknown) => {
        this.writing.delete(writing);
        this.failure ??= { err };
      },
    );
    this.writing.add(writing);
    while (this.writing.size >= Math.max(1, this.o.inFlight ?? 1) && !this.failure) await Promise.race(this.writing);
  }

  /** A batch that failed in a way nobody planned for ends the reading, and restarts the loop. */
  private throwFailure(): void {
    const failure = this.failure;
    if (!failure) return;
    this.failure = undefined;
    throw failure.err;
  }

  /**
   * The store's tables or template, waited for as long as it takes: the worker may start before its
   * stores. A refusal (a template OpenSearch will not take, a permission) is waited on too: an operator
   * fixes it while the events wait in the queue, and the other sinks run meanwhile.
   */
  private async prepare(): Promise<void> {
    for (let attempt = 0; !this.aborted(); attempt++) {
      try {
        return await this.o.sink.prepare();
      } catch (err) {
        if (this.aborted()) return;
        if (attempt % 5 === 0) this.o.log[isTransient(err) ? 'warn' : 'error']({ err: errorMessage(err) }, 'store not ready, retrying');
        await sleep(retryDelay(err, attempt, { maxMs: 10_000 }), this.abort.signal).catch(() => {});
      }
    }
  }

  /** Runs a queue step; while the queue is away, waits with backoff and says so, instead of crashing. Undefined when closing. */
  private async step<T>(fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await retry(fn, {
        signal: this.abort.signal,
        baseMs: 250,
        maxMs: 5000,
        onRetry: (err, attempt) => {
          // Closing cuts the blocking read: that is no outage to report.
          if (this.aborted()) return;
          // Someone deleted the stream or our group (a flush, a cleanup): make it again and go on.
          if (errorMessage(err).includes('NOGROUP')) void this.o.queue.ensureGroup(this.group).catch(() => {});
          if (attempt % 10 === 0) this.o.log.warn({ err: errorMessage(err) }, 'Redis unavailable, retrying');
        },
      });
    } catch (err) {
      if (this.aborted()) return undefined;
      throw err;
    }
  }

  private async process(deliveries: Delivery[]): Promise<void> {
    this.hold(deliveries);
    try {
      const refused: Refusal[] = [];
      const readable: Extract<Delivery, { event: unknown }>[] = [];
      for (const d of deliveries) {
        if ('event' in d) readable.push(d);
        else refused.push({ delivery: d, reason: d.problem });
      }
      let outcomes;
      try {
        outcomes = await this.writer.write(readable.map((d) => d.event));
      } catch (err) {
        if (this.aborted()) return; // closing: left unsettled, for the next start or another worker
        throw err;
      }
      const done: Delivery[] = [];
      outcomes.forEach((o, i) => (o.status === 'ok' ? done.push(readable[i]!) : refused.push({ delivery: readable[i]!, reason: o.reason })));
      if (refused.length) this.o.log.error({ count: refused.length, reason: refused[0]!.reason }, 'events the store will not take went to the dead letters');
      const settled = await this.step(async () => {
        await this.consumer!.settle(done, refused);
        return true;
      });
      if (!settled) return;
      this.stats.written += done.length;
      this.stats.deadLettered += refused.length;
    } finally {
      this.release(deliveries);
    }
  }

  /**
   * The one keep-alive: for as long as a batch is in hand (outages, splits, settling), nobody takes it
   * over. One timer renews every batch in hand in one call.
   */
  private hold(deliveries: readonly Delivery[]): void {
    this.inHand.add(deliveries);
    this.lease ??= setInterval(() => {
      const all = [...this.inHand].flat();
      if (all.length) void this.consumer!.renew(all).catch(() => {});
    }, Math.max(50, this.o.claimIdleMs / 3));
  }

  private release(deliveries: readonly Delivery[]): void {
    this.inHand.delete(deliveries);
    if (this.inHand.size || !this.lease) return;
    clearInterval(this.lease);
    this.lease = undefined;
  }

  private aborted(): boolean {
    return this.abort.signal.aborted;
  }
}
