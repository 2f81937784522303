import { errorMessage } from '../../../shared/errors.ts';
import type { Logger } from '../../../shared/logger.ts';
import type { Changes } from './changes.ts';
import { compress, QueuedBatch, spooledParcel, type OutgoingBatch, type Parcel } from './parcel.ts';
import type { DiskSpool } from './spool.ts';

export interface OutboxOptions {
  spool: DiskSpool;
  /** Bytes of batches held in memory (queued and in flight) before they go to the spool. */
  memoryBytes: number;
  whenFull: 'block' | 'drop-oldest';
  log: Logger;
  changes: Changes;
}

/** A batch taken out to be sent: from memory, or from the spool (where it stays until delivered). */
export type Job = { kind: 'memory'; batch: QueuedBatch } | { kind: 'spool'; seq: number };

/**
 * Where batches wait to be sent, oldest first always: memory first, the disk spool when memory is
 * full or the server is away (once anything is spooled, newer batches queue behind it on disk), and
 * the drop policy when the spool is full too. A batch's receipt is told once the spool has it, or
 * once it was delivered from memory.
 */
export class Outbox {
  /** Events dropped to make room (--when-full drop-oldest). */
  dropped = 0;
  /** Events that could be neither delivered nor written to the spool at exit (a full disk). */
  unkept = 0;
  private readonly memory: QueuedBatch[] = [];
  private memoryBytes = 0;
  private readonly spoolInFlight = new Set<number>();
  private halted = false;
  private shuttingDown = false;

  constructor(private readonly o: OutboxOptions) {}

  /** Nothing waits, in memory or on disk (batches being sent are not counted here). */
  get empty(): boolean {
    return !this.memory.length && !this.o.spool.batches;
  }

  get spooledLines(): number {
    return this.o.spool.lines;
  }

  /**
   * Takes a batch; waits only when the spool is full and the policy is to block. Once delivery has
   * stopped for good (a refused key), batches go straight to the spool: the next run, with a key
   * that works, delivers them.
   */
  async put(batch: OutgoingBatch): Promise<void> {
    const spool = this.o.spool;
    if (this.halted) {
      if (await this.spoolBatch(await compress(batch.ndjson), batch.count)) batch.receipt?.secured();
      return;
    }
    if (!spool.batches && this.memoryBytes + batch.bytes <= this.o.memoryBytes) {
      this.memory.push(new QueuedBatch(batch));
      this.memoryBytes += batch.bytes;
      return this.o.changes.notify();
    }
    const body = await compress(batch.ndjson);
    await this.makeRoom(body.length);
    if (await this.spoolBatch(body, batch.count)) batch.receipt?.secured();
    this.o.changes.notify();
  }

  /** The oldest batch not being sent already, if any. */
  take(): Job | undefined {
    const batch = this.memory.shift();
    if (batch) return { kind: 'memory', batch };
    const seq = this.o.spool.seqs().find((s) => !this.spoolInFlight.has(s));
    if (seq === undefined) return undefined;
    this.spoolInFlight.add(seq);
    return { kind: 'spool', seq };
  }

  /** A job's batch as the sender sends it; a spooled one goes as it lies on disk. */
  async parcel(job: Job): Promise<Parcel> {
    if (job.kind === 'memory') return job.batch;
    const { body, gzipped, count } = await this.o.spool.read(job.seq);
    return spooledParcel(body, gzipped, count);
  }

  /** The server has the job's batch (or refused what it would not take): it leaves the outbox. */
  async delivered(job: Job): Promise<void> {
    if (job.kind === 'memory') {
      this.memoryBytes -= job.batch.bytes;
      job.batch.receipt?.secured();
    } else {
      await this.o.spool.remove(job.seq);
    }
  }

  /** Sending stopped before the server had it: the batch goes back where it was, first in line. */
  putBack(job: Job): void {
    if (job.kind === 'memory') this.memory.unshift(job.batch);
  }

  /** The job is no longer being sent (delivered or put back). */
  release(job: Job): void {
    if (job.kind === 'spool') this.spoolInFlight.delete(job.seq);
  }

  /** Delivery stopped for good: from now on every batch goes to the spool, without waiting for room. */
  halt(): void {
    this.halted = true;
    this.o.changes.notify();
  }

  /**
   * Shutting down: from now on a full spool takes batches anyway (a little over --spool-max) instead
   * of making them wait for room that will not come before we exit.
   */
  stopping(): void {
    this.shuttingDown = true;
    this.o.changes.notify();
  }

  /** At exit: what waits in memory goes to the spool, for the next run. */
  async spoolRest(): Promise<void> {
    for (const batch of this.memory.splice(0)) {
      try {
        await this.o.spool.append(await batch.body(), batch.count);
        batch.receipt?.secured();
      } catch (err) {
        this.lose(batch.count, err);
      }
    }
    this.memoryBytes = 0;
  }

  private async makeRoom(bytes: number): Promise<void> {
    const spool = this.o.spool;
    // A batch larger than the whole spool still goes in when the spool is empty: never refuse it outright.
    while (spool.batches && !spool.fits(bytes) && !this.halted && !this.shuttingDown) {
      if (!(await this.dropOldest('spool full'))) await this.o.changes.next(1000);
    }
  }

  /** With --when-full drop-oldest, removes the oldest spooled batch not being sent; false when none went. */
  private async dropOldest(why: string): Promise<boolean> {
    const victim = this.o.whenFull === 'drop-oldest' ? this.o.spool.seqs().find((s) => !this.spoolInFlight.has(s)) : undefined;
    if (victim === undefined) return false;
    const lines = await this.o.spool.remove(victim);
    this.dropped += lines;
    this.o.log.warn({ dropped: lines, totalDropped: this.dropped }, `${why}: dropped the oldest batch (--when-full drop-oldest)`);
    return true;
  }

  /**
   * Puts a batch in the spool; false when it could not be kept. A write that fails (a full disk, a
   * state directory gone) is treated as a full spool: the batch waits and is tried again, so reading
   * pauses rather than a line being lost (with drop-oldest, the oldest spooled batch goes first to free
   * the disk). Shutting down, it is not retried, and its events are counted in `unkept`.
   */
  private async spoolBatch(body: Buffer, count: number): Promise<boolean> {
    for (let failures = 0; ; failures++) {
      try {
        await this.o.spool.append(body, count);
        if (failures) this.o.log.warn({ events: count }, 'the spool can be written again');
        return true;
      } catch (err) {
        if (this.shuttingDown) return this.lose(count, err);
        if (failures % 30 === 0) this.o.log.error({ err: errorMessage(err), events: count }, 'cannot write to the spool; reading waits until it can');
        if (!(await this.dropOldest('spool not writable'))) await this.o.changes.next(1000);
      }
    }
  }

  private lose(count: number, err: unknown): false {
    this.unkept += count;
    this.o.log.error({ err: errorMessage(err), events: count }, 'cannot write to the spool: these events are lost');
    return false;
  }
}
