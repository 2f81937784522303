import { open, type FileHandle } from 'node:fs/promises';
import type { Logger } from '../../../shared/logger.ts';
import type { CheckpointStore, FileCheckpoint } from './checkpoints.ts';
import { FINGERPRINT_BYTES } from './checkpoints.ts';
import { LineSplitter } from './line-splitter.ts';
import type { Lane, Shipper } from '../shipper.ts';

// 64 KiB reads: small enough that delivery keeps pace and batches stay in memory, not the spool.
const CHUNK = 64 * 1024;

export interface TailerOptions {
  shipper: Shipper;
  checkpoints: CheckpointStore;
  log: Logger;
  /** A partial last line is sent as it is after this long without its newline. */
  partialIdleMs: number;
}

/**
 * Reads one file (one inode) from its checkpoint on, through one lane. Holds the file open, so a
 * renamed or deleted file is still read to its end before it is let go.
 */
export class Tailer {
  private lane!: Lane;
  private splitter!: LineSplitter;
  /** Offset of the next byte to read. */
  offset = 0;
  /** The first bytes of the file as we read them: what a copytruncate copy starts with too. */
  head = Buffer.alloc(0);
  lastGrowth = Date.now();
  /** When a read was last handed on; a read stuck behind full output does not move it. */
  lastProgress = Date.now();
  /** Set when the path now names another file, or none: read to the end, then close. */
  rotatedAt?: number;
  private closed = false;
  private reading?: Promise<void>;
  private readonly buf = Buffer.allocUnsafe(CHUNK);

  private constructor(
    private readonly o: TailerOptions,
    readonly fh: FileHandle,
    public path: string,
    readonly dev: number,
    readonly ino: number,
    public record: FileCheckpoint,
  ) {}

  /**
   * `named`: the patterns name the file at `path`, which the checkpoint then records as its name; a
   * rotated file taken up to be finished keeps the name it was shipped under, so that a start after
   * a crash still knows it was renamed away from it and finishes it (else it would look like a file
   * the patterns no longer name, and be left alone with its rest unread).
   */
  static async open(o: TailerOptions, path: string, startup: boolean, fromBeginning: boolean, named = true): Promise<Tailer | undefined> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch {
      return undefined; // gone between the scan and the open: the next scan decides
    }
    const st = await fh.stat();
    let record = await o.checkpoints.find(fh, st.dev, st.ino, st.size);
    if (record && st.size < record.offset) record = undefined; // shorter than where we were: truncated while we were away
    record ??= await o.checkpoints.create(fh, path, st.dev, st.ino, st.size, startup ? o.checkpoints.startOffsetForUnknown(st.size, st.birthtimeMs, fromBeginning) : 0);
    if (named) record.path = path;
    const t = new Tailer(o, fh, path, st.dev, st.ino, record);
    await t.begin(record, record.offset);
    return t;
  }

  get key(): string {
    return this.record.id;
  }

  private async begin(record: FileCheckpoint, offset: number): Promise<void> {
    this.record = record;
    this.offset = offset;
    this.splitter = new LineSplitter(offset);
    this.lane = this.o.shipper.lane(record.id, offset, (to) => {
      // The handle widens a short fingerprint, so it must still hold this record's bytes: after a
      // copytruncate it holds the next generation, and the record lives on in the copy.
      const handle = this.closed || this.record !== record ? undefined : this.fh;
      this.o.checkpoints.advance(record, to, handle).catch((err) => this.o.log.warn({ err: (err as Error).message, path: this.path }, 'could not update a checkpoint'));
    });
    if (offset > 0) {
      const { bytesRead } = await this.fh.read(this.buf, 0, Math.min(offset, FINGERPRINT_BYTES), 0);
      this.head = Buffer.from(this.buf.subarray(0, bytesRead));
    } else {
      this.head = Buffer.alloc(0);
    }
  }

  /** Reads what is new; one read at a time per file. */
  poll(now = Date.now()): Promise<void> {
    this.reading ??= this.readNew(now).finally(() => (this.reading = undefined));
    return this.reading;
  }

  /** Done with: rotated away, read to the end, and quiet for rotateWaitMs. */
  finished(now: number, rotateWaitMs: number): boolean {
    return this.rotatedAt !== undefined && !this.reading && now - this.lastGrowth >= rotateWaitMs && now - this.rotatedAt >= rotateWaitMs;
  }

  /** Hands out what it holds (a partial line, a multiline event) and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.reading;
    this.splitter.flushPartial((t, s, e) => this.lane.push(t, s, e, Date.now()));
    this.lane.close();
    this.closed = true;
    await this.fh.close().catch(() => {});
  }

  private async readNew(now: number): Promise<void> {
    if (this.closed) return;
    const st = await this.fh.stat();
    if (await this.rewritten(st.size)) await this.truncated();
    for (;;) {
      const { bytesRead } = await this.fh.read(this.buf, 0, CHUNK, this.offset);
      if (!bytesRead) break;
      await this.consume(this.buf.subarray(0, bytesRead));
      if (this.closed) return; // abandoned while we waited for room
    }
    if (this.splitter.pendingBytes && now - this.lastGrowth >= this.o.partialIdleMs) {
      this.splitter.flushPartial((t, s, e) => this.lane.push(t, s, e, now));
    }
  }

  /**
   * Truncated since we last looked: shorter than where we are, or (a copytruncate followed by a burst
   * that took the file past our offset before we looked again) its first bytes are no longer the ones
   * we read. Size alone misses the second case, and we would go on mid-line in the new content, losing
   * its start and the copy's end.
   */
  private async rewritten(size: number): Promise<boolean> {
    if (size < this.offset) return true;
    const n = this.head.length;
    if (!n) return false;
    const { bytesRead } = await this.fh.read(this.buf, 0, n, 0);
    return bytesRead < n || !this.buf.subarray(0, n).equals(this.head);
  }

  /** @internal Feeds bytes read at this.offset, from this file or from its copytruncate copy. */
  async consume(bytes: Buffer): Promise<void> {
    if (this.head.length < FINGERPRINT_BYTES && this.offset < FINGERPRINT_BYTES) {
      this.head = Buffer.concat([this.head, bytes.subarray(0, FINGERPRINT_BYTES - this.offset)]);
    }
    const now = Date.now();
    this.splitter.feed(bytes, (t, s, e) => this.lane.push(t, s, e, now));
    this.offset += bytes.length;
    this.lastGrowth = now;
    await this.o.shipper.settle();
    this.lastProgress = Date.now();
  }

  /**
   * Lets go of the file now, read or not: for a deleted file whose reading is stuck behind full output
   * (spool full, --when-full block), since holding it open keeps its disk space in use for as long as
   * the server is away. What was read goes on; returns the bytes never read, for the caller to report.
   */
  async abandon(): Promise<number> {
    if (this.closed) return 0;
    const st = await this.fh.stat();
    this.closed = true;
    await this.fh.close().catch(() => {});
    this.splitter.flushPartial((t, s, e) => this.lane.push(t, s, e, Date.now()));
    this.lane.close();
    return Math.max(0, st.size - this.offset);
  }

  /**
   * The file is shorter than what we read: copytruncate. The copy (same first bytes, another inode,
   * found by the caller's hook) is read from where we were, under this file's id, so every line lands
   * once; then this file starts over as a new generation with an id of its own.
   */
  onTruncate?: (t: Tailer) => Promise<void>;

  private async truncated(): Promise<void> {
    this.o.log.info({ path: this.path, at: this.offset }, 'file truncated (copytruncate): finishing from the copy, then reading it anew');
    await this.onTruncate?.(this);
    this.splitter.flushPartial((t, s, e) => this.lane.push(t, s, e, Date.now()));
    this.lane.close();
    const st = await this.fh.stat();
    const record = await this.o.checkpoints.create(this.fh, this.path, st.dev, st.ino, st.size, 0);
    await this.begin(record, 0);
  }
}
