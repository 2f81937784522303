import { open, type FileHandle } from 'node:fs/promises';
import type { Logger } from '../../../shared/logger.ts';
import type { Lane, Shipper } from '../shipper.ts';
import { CheckpointProgress, type CheckpointStore, type FileCheckpoint } from './checkpoints.ts';
import { FINGERPRINT_BYTES, idOf, readHead, type FileStat } from './disk.ts';
import { LineSplitter } from './line-splitter.ts';
import { rewritten } from './rotation.ts';

// 64 KiB reads: small enough that delivery keeps pace and batches stay in memory, not the spool.
const CHUNK = 64 * 1024;

export interface TailerOptions {
  shipper: Pick<Shipper, 'lane' | 'settle'>;
  checkpoints: CheckpointStore;
  log: Logger;
  /** A partial last line is sent as it is after this long without its newline. */
  partialIdleMs: number;
}

/** How a file is taken up. */
export interface OpenAs {
  /** Found by the first scan of this run: a file we have no checkpoint of starts where CheckpointStore says; later ones at 0. */
  startup: boolean;
  fromBeginning: boolean;
  /**
   * The patterns name the file at this path, which its checkpoint then keeps as its name. A rotated
   * file taken up to be finished keeps the name it was shipped under, so that a start after a crash
   * still sees it away from its name, and finishes it.
   */
  named: boolean;
}

/** What a poll found: it read what was new, or the file was rewritten in place (copytruncate) and it read nothing. */
export type PollResult = 'read' | 'rewritten';

/**
 * Reads one file (one inode) from its checkpoint on, through one lane, in chunks. Holds the file open,
 * so a renamed or deleted file is still read to its end before it is let go. It does not decide about
 * rotation: it reports a rewritten file, and the file source tells it where the rest is (finishFrom)
 * and to start over.
 */
export class Tailer {
  private lane!: Lane;
  private splitter!: LineSplitter;
  private record!: FileCheckpoint;
  private next = 0;
  private first = Buffer.alloc(0);
  private grew = Date.now();
  private handedOn = Date.now();
  private closed = false;
  private reading?: Promise<PollResult>;
  private readonly buf = Buffer.allocUnsafe(CHUNK);

  private constructor(
    private readonly o: TailerOptions,
    private readonly fh: FileHandle,
    readonly id: string,
  ) {}

  static async open(o: TailerOptions, file: string, as: OpenAs): Promise<Tailer | undefined> {
    let fh: FileHandle;
    try {
      fh = await open(file, 'r');
    } catch {
      return undefined; // gone between the scan and the open: the next scan decides
    }
    const st = await fh.stat();
    let record = await o.checkpoints.find(fh, st.dev, st.ino, st.size);
    if (record && st.size < record.offset) record = undefined; // shorter than where we were: truncated while we were away
    record ??= await o.checkpoints.create(fh, file, st.dev, st.ino, st.size, as.startup ? o.checkpoints.startOffsetForUnknown(st.size, st.birthtimeMs, as.fromBeginning) : 0);
    if (as.named) record.path = file;
    const t = new Tailer(o, fh, idOf(st));
    await t.begin(record, record.offset);
    return t;
  }

  /** Offset of the next byte to read. */
  get offset(): number {
    return this.next;
  }

  /** The first bytes of the file as we read them (up to FINGERPRINT_BYTES). */
  get head(): Buffer {
    return this.first;
  }

  /** When the file last grew. */
  get lastGrowth(): number {
    return this.grew;
  }

  /** When a read was last handed on; a read stuck behind full output does not move it. */
  get lastProgress(): number {
    return this.handedOn;
  }

  /** Reads what is new; one read at a time. */
  poll(now = Date.now()): Promise<PollResult> {
    this.reading ??= this.readNew(now).finally(() => (this.reading = undefined));
    return this.reading;
  }

  /**
   * After a copytruncate: reads the rest of what we were reading from its copy, chunk by chunk, under
   * this file's id and offsets, so every line lands once; the checkpoint moves to the copy, its offset
   * kept (where the server's confirmations reached: after a crash a restart reads the rest again from
   * the copy, under the same ids). Returns the bytes read.
   */
  async finishFrom(copy: FileStat): Promise<number> {
    const fh = await open(copy.path, 'r').catch(() => undefined);
    if (!fh) return 0;
    const from = this.next;
    try {
      for (let bytesRead = -1; bytesRead && !this.closed; ) {
        ({ bytesRead } = await fh.read(this.buf, 0, CHUNK, this.next));
        if (bytesRead) await this.consume(this.buf.subarray(0, bytesRead));
      }
    } finally {
      await fh.close();
    }
    this.o.checkpoints.relocate(this.record, copy);
    return this.next - from;
  }

  /** The file was rewritten in place: what it holds now is a new generation, with an id of its own, read from its start. */
  async startOver(file: string): Promise<void> {
    if (this.closed) return;
    this.splitter.flushPartial((t, s, e) => this.lane.push(t, s, e, Date.now()));
    this.lane.close();
    const st = await this.fh.stat();
    await this.begin(await this.o.checkpoints.create(this.fh, file, st.dev, st.ino, st.size, 0), 0);
  }

  /** Whether the file has no name left (deleted), while we hold it open. */
  async deleted(): Promise<boolean> {
    const st = await this.fh.stat().catch(() => undefined);
    return st !== undefined && st.nlink === 0;
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
    return Math.max(0, st.size - this.next);
  }

  private async begin(record: FileCheckpoint, offset: number): Promise<void> {
    this.record = record;
    this.next = offset;
    this.splitter = new LineSplitter(offset);
    this.lane = this.o.shipper.lane(record.id, offset, new CheckpointProgress(this.o.checkpoints, record));
    this.first = Buffer.from(await readHead(this.fh, Math.min(offset, FINGERPRINT_BYTES), this.buf));
  }

  private async readNew(now: number): Promise<PollResult> {
    if (this.closed) return 'read';
    const st = await this.fh.stat();
    if (rewritten(st.size, this.next, this.first, await readHead(this.fh, this.first.length, this.buf))) return 'rewritten';
    for (;;) {
      const { bytesRead } = await this.fh.read(this.buf, 0, CHUNK, this.next);
      if (!bytesRead) break;
      await this.consume(this.buf.subarray(0, bytesRead));
      if (this.closed) return 'read'; // abandoned while we waited for room
    }
    if (this.splitter.pendingBytes && now - this.grew >= this.o.partialIdleMs) {
      this.splitter.flushPartial((t, s, e) => this.lane.push(t, s, e, now));
    }
    return 'read';
  }

  /** Feeds bytes read at this.next, from this file or from its copytruncate copy. */
  private async consume(bytes: Buffer): Promise<void> {
    if (this.first.length < FINGERPRINT_BYTES && this.next < FINGERPRINT_BYTES) {
      this.first = Buffer.concat([this.first, bytes.subarray(0, FINGERPRINT_BYTES - this.next)]);
      await this.o.checkpoints.widen(this.record, this.first);
    }
    const now = Date.now();
    this.splitter.feed(bytes, (t, s, e) => this.lane.push(t, s, e, now));
    this.next += bytes.length;
    this.grew = now;
    await this.o.shipper.settle();
    this.handedOn = Date.now();
  }
}
