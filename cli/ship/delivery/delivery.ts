import type { LogFlowError } from '../../../shared/errors.ts';
import type { Logger } from '../../../shared/logger.ts';
import { Changes } from './changes.ts';
import { Outbox, type Job } from './outbox.ts';
import type { OutgoingBatch } from './parcel.ts';
import { Sender, type LogsEndpoint, type SenderStats } from './sender.ts';
import type { DiskSpool } from './spool.ts';

export type { OutgoingBatch, Receipt } from './parcel.ts';

export interface DeliveryStats extends SenderStats {
  dropped: number;
}

export interface DeliveryOptions {
  client: LogsEndpoint;
  log: Logger;
  concurrency: number;
  /** Bytes of batches held in memory (queued and in flight) before they go to the spool. */
  memoryBytes: number;
  spool: DiskSpool;
  whenFull: 'block' | 'drop-oldest';
  /** The sender's backoff between attempts, in ms (shared/backoff.ts); tests shorten it. */
  backoff?: { baseMs: number; maxMs: number };
}

/**
 * Gets batches to the server without ever losing one: `concurrency` pumps each take the oldest
 * batch from the outbox (memory, then spool) and hand it to the sender, which keeps at it until the
 * server has it. A refused key (fatal) stops delivery for good: what is left goes to the spool.
 */
export class Delivery {
  fatal?: LogFlowError;
  private readonly changes = new Changes();
  private readonly outbox: Outbox;
  private readonly sender: Sender;
  private readonly abort = new AbortController();
  private readonly pumps: Promise<void>[] = [];
  private inFlight = 0;

  constructor(private readonly o: DeliveryOptions) {
    this.outbox = new Outbox({ spool: o.spool, memoryBytes: o.memoryBytes, whenFull: o.whenFull, log: o.log, changes: this.changes });
    this.sender = new Sender({ client: o.client, log: o.log, ...o.backoff });
  }

  start(): void {
    for (let i = 0; i < this.o.concurrency; i++) this.pumps.push(this.pump());
  }

  get stats(): DeliveryStats {
    return { ...this.sender.stats, dropped: this.outbox.dropped };
  }

  get spooledLines(): number {
    return this.outbox.spooledLines;
  }

  /** Events that could be neither delivered nor written to the spool at exit (a full disk). */
  get unkept(): number {
    return this.outbox.unkept;
  }

  get idle(): boolean {
    return this.outbox.empty && !this.inFlight;
  }

  /** Takes a batch; waits only when the spool is full and the policy is to block. */
  enqueue(batch: OutgoingBatch): Promise<void> {
    return this.outbox.put(batch);
  }

  /** Shutting down: a full spool takes the last batches anyway (see Outbox.stopping). */
  stopping(): void {
    this.outbox.stopping();
  }

  /**
   * Waits until everything is delivered or timeoutMs passed; then stops sending and puts what is left
   * in memory into the spool. Returns the lines that wait in the spool for the next run.
   */
  async drain(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (!this.idle && !this.fatal && Date.now() < deadline) await this.changes.next(Math.max(1, deadline - Date.now()));
    this.abort.abort();
    this.changes.notify();
    await Promise.allSettled(this.pumps);
    await this.outbox.spoolRest();
    return this.outbox.spooledLines;
  }

  private async pump(): Promise<void> {
    while (!this.abort.signal.aborted && !this.fatal) {
      const job = this.outbox.take();
      if (!job) {
        await this.changes.next(1000);
        continue;
      }
      this.inFlight++;
      try {
        await this.deliver(job);
      } finally {
        this.outbox.release(job);
        this.inFlight--;
        this.changes.notify();
      }
    }
  }

  private async deliver(job: Job): Promise<void> {
    const sent = await this.sender.send(await this.outbox.parcel(job), this.abort.signal);
    if (sent.kind === 'delivered') return this.outbox.delivered(job);
    // Stopped mid-retry, or for good: the batch stays where it was, for drain() to spool.
    this.outbox.putBack(job);
    if (sent.kind === 'fatal') this.stop(sent.error);
  }

  private stop(err: LogFlowError): void {
    this.fatal = err;
    this.outbox.halt();
    this.o.log.error({ err: err.message }, 'delivery stopped');
  }
}
