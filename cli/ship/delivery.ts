import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { retry } from '../../shared/backoff.ts';
import { errorMessage, LogFlowError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { LogFlowClient } from '../client.ts';
import type { DiskSpool } from './spool.ts';

const gzip = promisify(gzipCb);

/** Events ready to send, as NDJSON lines. `secured` runs once the server or the spool has them. */
export interface OutgoingBatch {
  lines: string[];
  bytes: number;
  secured?: () => void;
}

export interface DeliveryStats {
  sent: number;
  accepted: number;
  rejected: number;
  retries: number;
  /** Batches being retried right now. */
  retrying: number;
  dropped: number;
}

export interface DeliveryOptions {
  client: LogFlowClient;
  log: Logger;
  concurrency: number;
  /** Bytes of batches held in memory (queued and in flight) before they go to the spool. */
  memoryBytes: number;
  spool: DiskSpool;
  whenFull: 'block' | 'drop-oldest';
}

type Job = { kind: 'memory'; batch: OutgoingBatch } | { kind: 'spool'; seq: number };

/**
 * Gets batches to the server without ever losing one: memory first, the disk spool when memory is
 * full or the server is away, oldest first always (once anything is spooled, newer batches queue
 * behind it on disk). Each batch is retried with backoff until the server takes it; a refused event
 * (400) is counted and skipped; a refused key (401) stops delivery for good.
 */
export class Delivery {
  readonly stats: DeliveryStats = { sent: 0, accepted: 0, rejected: 0, retries: 0, retrying: 0, dropped: 0 };
  private readonly memory: OutgoingBatch[] = [];
  private memoryBytes = 0;
  private readonly spoolInFlight = new Set<number>();
  private inFlight = 0;
  private readonly abort = new AbortController();
  private pumps: Promise<void>[] = [];
  private waiters: (() => void)[] = [];
  fatal?: LogFlowError;

  constructor(private readonly o: DeliveryOptions) {}

  start(): void {
    for (let i = 0; i < this.o.concurrency; i++) this.pumps.push(this.pump());
  }

  /** Lines waiting: in memory, in flight or in the spool. */
  get backlogLines(): number {
    return this.memory.reduce((n, b) => n + b.lines.length, 0) + this.o.spool.lines;
  }

  get spooledLines(): number {
    return this.o.spool.lines;
  }

  get idle(): boolean {
    return !this.memory.length && !this.o.spool.batches && !this.inFlight;
  }

  /**
   * Takes a batch; waits only when the spool is full and the policy is to block. Once delivery has
   * stopped for good (a refused key), batches go straight to the spool: the next run, with a key
   * that works, delivers them.
   */
  async enqueue(batch: OutgoingBatch): Promise<void> {
    const spool = this.o.spool;
    if (this.fatal) {
      await spool.append(batch.lines);
      return batch.secured?.();
    }
    if (!spool.batches && this.memoryBytes + batch.bytes <= this.o.memoryBytes) {
      this.memory.push(batch);
      this.memoryBytes += batch.bytes;
      return this.notify();
    }
    await this.makeRoom(batch.bytes);
    await spool.append(batch.lines);
    batch.secured?.();
    this.notify();
  }

  /**
   * Waits until everything is delivered or timeoutMs passed; then stops sending and puts what is left
   * in memory into the spool. Returns the lines that wait in the spool for the next run.
   */
  async drain(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (!this.idle && !this.fatal && Date.now() < deadline) await this.changed(Math.max(1, deadline - Date.now()));
    this.abort.abort();
    this.notify();
    await Promise.allSettled(this.pumps);
    for (const batch of this.memory.splice(0)) {
      await this.o.spool.append(batch.lines);
      batch.secured?.();
    }
    this.memoryBytes = 0;
    return this.o.spool.lines;
  }

  private async makeRoom(bytes: number): Promise<void> {
    const spool = this.o.spool;
    // A batch larger than the whole spool still goes in when the spool is empty: never refuse it outright.
    while (spool.batches && !spool.fits(bytes) && !this.fatal) {
      const victim = this.o.whenFull === 'drop-oldest' ? spool.seqs().find((s) => !this.spoolInFlight.has(s)) : undefined;
      if (victim !== undefined) {
        const lines = await spool.remove(victim);
        this.stats.dropped += lines;
        this.o.log.warn({ dropped: lines, totalDropped: this.stats.dropped }, 'spool full: dropped the oldest batch (--when-full drop-oldest)');
      } else {
        await this.changed(1000);
      }
    }
  }

  private next(): Job | undefined {
    const batch = this.memory.shift();
    if (batch) return { kind: 'memory', batch };
    const seq = this.o.spool.seqs().find((s) => !this.spoolInFlight.has(s));
    if (seq === undefined) return undefined;
    this.spoolInFlight.add(seq);
    return { kind: 'spool', seq };
  }

  private async pump(): Promise<void> {
    while (!this.abort.signal.aborted && !this.fatal) {
      const job = this.next();
      if (!job) {
        await this.changed(1000);
        continue;
      }
      this.inFlight++;
      try {
        const lines = job.kind === 'memory' ? job.batch.lines : await this.o.spool.read(job.seq);
        const done = await this.send(lines);
        if (!done) {
          // Stopped mid-retry: the batch stays where it was, for drain() to spool.
          if (job.kind === 'memory') this.memory.unshift(job.batch);
          continue;
        }
        if (job.kind === 'memory') {
          this.memoryBytes -= job.batch.bytes;
          job.batch.secured?.();
        } else {
          await this.o.spool.remove(job.seq);
        }
      } finally {
        if (job.kind === 'spool') this.spoolInFlight.delete(job.seq);
        this.inFlight--;
        this.notify();
      }
    }
  }

  /** Sends until accepted; false when stopped first. Splits a batch the server finds too large. */
  private async send(lines: string[]): Promise<boolean> {
    const body = await gzip(lines.join('\n') + '\n', { level: 1 });
    let retrying = false;
    try {
      const reply = await retry(() => this.o.client.postLogs(body, this.abort.signal), {
        signal: this.abort.signal,
        baseMs: 250,
        maxMs: 30_000,
        onRetry: (err, attempt, delay) => {
          this.stats.retries++;
          if (!retrying) this.stats.retrying++;
          retrying = true;
          if (attempt % 5 === 0) this.o.log.warn({ err: errorMessage(err), events: lines.length, retryInMs: delay }, 'send failed, retrying');
        },
      });
      this.stats.sent += lines.length;
      this.stats.accepted += reply.accepted;
      this.reportRejected(reply.rejected.length, reply.rejected[0]?.reason);
      return true;
    } catch (err) {
      if (!(err instanceof LogFlowError) || err.code === 'ABORTED') return false;
      if (err.code === 'BODY_TOO_LARGE' && lines.length > 1) {
        const half = Math.ceil(lines.length / 2);
        return (await this.send(lines.slice(0, half))) && (await this.send(lines.slice(half)));
      }
      if (err.code === 'EVENT_INVALID') {
        const rejected = (err as LogFlowError & { rejected?: { reason: string }[] }).rejected;
        this.stats.sent += lines.length;
        this.reportRejected(rejected?.length || lines.length, rejected?.[0]?.reason ?? err.message);
        return true;
      }
      this.fatal = err;
      this.o.log.error({ err: err.message }, 'delivery stopped');
      this.notify();
      return false;
    } finally {
      if (retrying) this.stats.retrying--;
    }
  }

  private reportRejected(count: number, reason: string | undefined): void {
    if (!count) return;
    this.stats.rejected += count;
    this.o.log.error({ rejected: count, reason }, 'the server refused events; they are skipped');
  }

  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves on the next change of state, or after ms. */
  private changed(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
