import { promisify } from 'node:util';
import { gunzip as gunzipCb, gzip as gzipCb } from 'node:zlib';

const gzip = promisify(gzipCb);
const gunzip = promisify(gunzipCb);

/**
 * A batch as one gzip body. Level 1: cheap on the CPU, still a fifth of the size. One output chunk
 * for a whole batch (rather than zlib's 16 KiB) saves the round trips between the thread pool and
 * the event loop that a busy reader would otherwise delay.
 */
export function compress(ndjson: Buffer): Promise<Buffer> {
  return gzip(ndjson, { level: 1, chunkSize: 256 * 1024 });
}

/** A batch's lines (to spool them, or to split the batch): an NDJSON line holds no raw newline. */
export function linesOf(ndjson: Buffer): string[] {
  return ndjson.toString('utf8', 0, ndjson.length - 1).split('\n');
}

/** Told once the server or the spool holds a batch: how the batch's sources learn their lines are safe. */
export interface Receipt {
  secured(): void;
}

/** Events ready to send, from the shipper. */
export interface OutgoingBatch {
  /** `count` events as NDJSON in UTF-8, each line ending in a newline. */
  ndjson: Buffer;
  count: number;
  /** The lines' size in UTF-16 units plus their newlines: what --batch-bytes and --memory-limit count. */
  bytes: number;
  receipt?: Receipt;
}

/** What the sender needs of a batch: its gzip body, and its lines should the server want it halved. */
export interface Parcel {
  readonly count: number;
  body(): Promise<Buffer>;
  lines(): Promise<string[]>;
}

/**
 * A batch waiting in memory. It is compressed the moment it arrives, on the thread pool, so that a
 * pump finds its body ready (sending keeps up with a fast reader) and what waits is the body, about a
 * fifth of the lines' size: the lines are let go once it is made. Memory is still counted in the
 * lines' bytes, as --memory-limit says.
 */
export class QueuedBatch implements Parcel {
  readonly count: number;
  readonly bytes: number;
  readonly receipt?: Receipt;
  private ndjson: Buffer | undefined;
  private gzipped: Promise<Buffer>;

  constructor(batch: OutgoingBatch) {
    this.ndjson = batch.ndjson;
    this.count = batch.count;
    this.bytes = batch.bytes;
    this.receipt = batch.receipt;
    this.gzipped = compress(batch.ndjson);
    this.gzipped.then(
      () => (this.ndjson = undefined),
      () => {}, // the text stays; body() tries again
    );
  }

  body(): Promise<Buffer> {
    if (this.ndjson) this.gzipped = this.gzipped.catch(() => compress(this.ndjson!));
    return this.gzipped;
  }

  async lines(): Promise<string[]> {
    return linesOf(this.ndjson ?? (await gunzip(await this.gzipped)));
  }
}

/** A batch as the spool keeps it: its gzip body, or plain NDJSON (as earlier versions wrote it). */
export function spooledParcel(body: Buffer, gzipped: boolean, count: number): Parcel {
  return {
    count,
    body: () => (gzipped ? Promise.resolve(body) : compress(body)),
    lines: async () => linesOf(gzipped ? await gunzip(body) : body),
  };
}

/** Lines split out of a batch the server found too large. */
export function linesParcel(lines: string[]): Parcel {
  return { count: lines.length, body: () => compress(Buffer.from(lines.join('\n') + '\n')), lines: async () => lines };
}
