import { promisify } from 'node:util';
import { gunzip as gunzipCb, gzip as gzipCb } from 'node:zlib';
import { retry } from '../../../shared/backoff.ts';
import { errorMessage, LogFlowError } from '../../../shared/errors.ts';
import { RefusedEventsError } from '../../../shared/http.ts';
import type { Logger } from '../../../shared/logger.ts';
import type { LogFlowClient } from '../../client.ts';
import type { DiskSpool } from './spool.ts';

const gzip = promisify(gzipCb);
const gunzip = promisify(gunzipCb);

/**
 * A batch as one gzip body. Level 1: cheap on the CPU, still a fifth of the size. One output chunk
 * for a whole batch (rather than zlib's 16 KiB) saves the round trips between the thread pool and
 * the event loop that a busy reader would otherwise delay.
 */
function compress(ndjson: Buffer): Promise<Buffer> {
  return gzip(ndjson, { level: 1, chunkSize: 256 * 1024 });
}

/** A batch's lines (to spool them, or to split the batch): an NDJSON line holds no raw newline. */
function linesOf(ndjson: Buffer): string[] {
  return ndjson.toString('utf8', 0, ndjson.length - 1).split('\n');
}

/** Events ready to send. `secured` runs once the server or the spool has them. */
export interface OutgoingBatch {
  /** `count` events as NDJSON in UTF-8, each line ending in a newline. */
  ndjson: Buffer;
  count: number;
  /** The lines' size in UTF-16 units plus their newlines: what --batch-bytes and --memory-limit count. */
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

/**
 * A batch waiting in memory. It is compressed the moment it arrives, on the thread pool, so that a
 * pump finds its body ready (sending keeps up with a fast reader) and what waits is the body, about a
 * fifth of the lines' size: the lines are let go once it is made. Memory is still counted in the
 * lines' bytes, as --memory-limit says.
 */
class QueuedBatch {
  readonly count: number;
  readonly bytes: number;
  readonly secured?: () => void;
  private ndjson: Buffer | undefined;
  private body: Promise<Buffer>;

  constructor(batch: OutgoingBatch) {
    this.ndjson = batch.ndjson;
    this.count = batch.count;
    this.bytes = batch.bytes;
    this.secured = batch.secured;
    this.body = compress(batch.ndjson);
    this.body.then(
      () => (this.ndjson = undefined),
      () => {}, // the text stays; gzipped() tries again
    );
  }

  gzipped(): Promise<Buffer> {
    if (this.ndjson) this.body = this.body.catch(() => compress(this.ndjson!));
    return this.body;
  }

  async text(): Promise<Buffer> {
    return this.ndjson ?? (await gunzip(await this.body));
  }

  async lines(): Promise<string[]> {
    return linesOf(await this.text());
  }
}

type Job = { kind: 'memory'; batch: QueuedBatch } | { kind: 'spool'; seq: number };

/**
 * Gets batches to the server without ever losing one: memory first, the disk spool when memory is
 * full or the server is away, oldest first always (once anything is spooled, newer batches queue
 * behind it on disk). Each batch is retried with backoff until the server takes it; a refused event
 * (400) is counted and skipped; a refused key (401) stops delivery for good.
 */
export class Delivery {
  readonly stats: DeliveryStats = { sent: 0, accepted: 0, rejected: 0, retries: 0, retrying: 0, dropped: 0 };
  private readonly memory: QueuedBatch[] = [];
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
      if (await this.spoolBatch(await compress(batch.ndjson), batch.count)) batch.secured?.();
      return;
    }
    if (!spool.batches && this.memoryBytes + batch.bytes <= this.o.memoryBytes) {
      this.memory.push(new QueuedBatch(batch));
      this.memoryBytes += batch.bytes;
      return this.notify();
    }
    const body = await compress(batch.ndjson);
    await this.makeRoom(body.length);
    if (await this.spoolBatch(body, batch.count)) batch.secured?.();
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
      try {
        await this.o.spool.append(await batch.gzipped(), batch.count);
        batch.secured?.();
      } catch (err) {
        this.lose(batch.count, err);
      }
    }
    this.memoryBytes = 0;
    return this.o.spool.lines;
  }

  /** Events that could be neither delivered nor written to the spool at exit (a full disk). */
  unkept = 0;

  /**
   * Shutting down: from now on a full spool takes batches anyway (a little over --spool-max) instead
   * of making them wait for room that will not come before we exit.
   */
  stopping(): void {
    this.shuttingDown = true;
    this.notify();
  }

  private shuttingDown = false;

  private async makeRoom(bytes: number): Promise<void> {
    const spool = this.o.spool;
    // A batch larger than the whole spool still goes in when the spool is empty: never refuse it outright.
    while (spool.batches && !spool.fits(bytes) && !this.fatal && !this.shuttingDown) {
      if (!(await this.dropOldest('spool full'))) await this.changed(1000);
    }
  }

  /** With --when-full drop-oldest, removes the oldest spooled batch not being sent; false when none went. */
  private async dropOldest(why: string): Promise<boolean> {
    const victim = this.o.whenFull === 'drop-oldest' ? this.o.spool.seqs().find((s) => !this.spoolInFlight.has(s)) : undefined;
    if (victim === undefined) return false;
    const lines = await this.o.spool.remove(victim);
    this.stats.dropped += lines;
    this.o.log.warn({ dropped: lines, totalDropped: this.stats.dropped }, `${why}: dropped the oldest batch (--when-full drop-oldest)`);
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
        if (!(await this.dropOldest('spool not writable'))) await this.changed(1000);
      }
    }
  }

  private lose(count: number, err: unknown): false {
    this.unkept += count;
    this.o.log.error({ err: errorMessage(err), events: count }, 'cannot write to the spool: these events are lost');
    return false;
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
        const done = job.kind === 'memory' ? await this.send(job.batch.count, job.batch.gzipped(), () => job.batch.lines()) : await this.sendSpooled(job.seq);
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

  /** A spooled batch goes as it lies on disk; its lines are split out only if the server wants it halved. */
  private async sendSpooled(seq: number): Promise<boolean> {
    const { body, gzipped, count } = await this.o.spool.read(seq);
    return this.send(count, gzipped ? Promise.resolve(body) : compress(body), async () => linesOf(gzipped ? await gunzip(body) : body));
  }

  private sendLines(lines: string[]): Promise<boolean> {
    return this.send(lines.length, compress(Buffer.from(lines.join('\n') + '\n')), async () => lines);
  }

  /**
   * Sends `count` events in one gzip body until accepted; false when stopped first. Splits a batch
   * the server finds too large, which is when the lines are needed again.
   */
  private async send(count: number, gzipped: Promise<Buffer>, lines: () => Promise<string[]>): Promise<boolean> {
    const body = await gzipped;
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
          if (attempt % 5 === 0) this.o.log.warn({ err: errorMessage(err), events: count, retryInMs: delay }, 'send failed, retrying');
        },
      });
      this.stats.sent += count;
      // A 2xx without our reply's shape (a proxy's page, say) is taken as all accepted, never as a crash.
      const rejected = Array.isArray(reply.rejected) ? reply.rejected : [];
      this.stats.accepted += typeof reply.accepted === 'number' ? reply.accepted : count - rejected.length;
      this.reportRejected(rejected.length, rejected[0]?.reason);
      return true;
    } catch (err) {
      if (!(err instanceof LogFlowError) || err.code === 'ABORTED') return false;
      if (err.code === 'BODY_TOO_LARGE' && count > 1) {
        const all = await lines();
        const half = Math.ceil(all.length / 2);
        return (await this.sendLines(all.slice(0, half))) && (await this.sendLines(all.slice(half)));
      }
      if (err.code === 'EVENT_INVALID') {
        const rejected = err instanceof RefusedEventsError ? err.rejected : [];
        this.stats.sent += count;
        this.reportRejected(rejected.length || count, rejected[0]?.reason ?? err.message);
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
