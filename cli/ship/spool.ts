import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * Batches kept on disk while the server is slow or away, delivered oldest first when it is back.
 * One file per batch (NDJSON lines), written to a temporary name, fsynced, then renamed: a crash
 * leaves either the whole batch or none of it. Survives restarts: the next run delivers it first.
 */
export class DiskSpool {
  private readonly files: { seq: number; bytes: number; lines: number }[] = [];
  private nextSeq = 0;
  bytes = 0;
  lines = 0;

  private constructor(
    private readonly dir: string,
    readonly maxBytes: number,
  ) {}

  static async open(dir: string, maxBytes: number): Promise<DiskSpool> {
    await mkdir(dir, { recursive: true });
    const spool = new DiskSpool(dir, maxBytes);
    const names = (await readdir(dir)).filter((n) => /^\d{12}\.ndjson$/.test(n)).sort();
    for (const name of names) {
      const ndjson = await readFile(path.join(dir, name));
      const entry = { seq: Number(name.slice(0, 12)), bytes: ndjson.length, lines: countLines(ndjson) };
      spool.files.push(entry);
      spool.bytes += entry.bytes;
      spool.lines += entry.lines;
    }
    for (const name of (await readdir(dir)).filter((n) => n.endsWith('.tmp'))) await rm(path.join(dir, name), { force: true });
    spool.nextSeq = (spool.files.at(-1)?.seq ?? -1) + 1;
    return spool;
  }

  get batches(): number {
    return this.files.length;
  }

  /** Room for `bytes` more? */
  fits(bytes: number): boolean {
    return this.bytes + bytes <= this.maxBytes;
  }

  /** Keeps a batch (`count` NDJSON lines, each ending in a newline) on disk; resolves once it is durable. */
  async append(ndjson: Buffer, count: number): Promise<void> {
    const seq = this.nextSeq++;
    const file = this.fileFor(seq);
    const handle = await open(`${file}.tmp`, 'w');
    try {
      await handle.writeFile(ndjson);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(`${file}.tmp`, file);
    const entry = { seq, bytes: ndjson.length, lines: count };
    this.files.push(entry);
    this.bytes += entry.bytes;
    this.lines += entry.lines;
  }

  /** Batches on disk, oldest first. */
  seqs(): number[] {
    return this.files.map((f) => f.seq);
  }

  /** A batch as it was written (NDJSON) and its line count; it stays on disk until remove(). */
  async read(seq: number): Promise<{ ndjson: Buffer; count: number }> {
    const ndjson = await readFile(this.fileFor(seq));
    return { ndjson, count: this.files.find((f) => f.seq === seq)?.lines ?? countLines(ndjson) };
  }

  /** Removes a batch: delivered, or dropped to make room (then its lines are returned for counting). */
  async remove(seq: number): Promise<number> {
    const i = this.files.findIndex((f) => f.seq === seq);
    if (i < 0) return 0;
    const [entry] = this.files.splice(i, 1);
    this.bytes -= entry!.bytes;
    this.lines -= entry!.lines;
    await rm(this.fileFor(seq), { force: true });
    return entry!.lines;
  }

  private fileFor(seq: number): string {
    return path.join(this.dir, `${String(seq).padStart(12, '0')}.ndjson`);
  }
}

function countLines(ndjson: Buffer): number {
  let n = 0;
  for (let i = ndjson.indexOf(10); i >= 0; i = ndjson.indexOf(10, i + 1)) n++;
  return n;
}
