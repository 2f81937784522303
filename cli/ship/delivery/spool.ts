import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** `<seq>.<events>.ndjson.gz`: a batch's gzip body, as it is sent, its event count in its name. */
const GZIP_NAME = /^(\d{12})\.(\d+)\.ndjson\.gz$/;
/** `<seq>.ndjson`: a batch as plain NDJSON, as earlier versions wrote it; still read and sent. */
const PLAIN_NAME = /^(\d{12})\.ndjson$/;

interface SpoolFile {
  seq: number;
  name: string;
  bytes: number;
  lines: number;
}

/**
 * Batches kept on disk while the server is slow or away, delivered oldest first when it is back.
 * Each batch is kept as the gzip body it is sent as (a fifth to a tenth of its text, so the spool
 * holds that much more, and nothing is compressed twice), one file per batch, written to a temporary
 * name, fsynced, then renamed: a crash leaves either the whole batch or none of it. Survives
 * restarts: the next run delivers it first.
 */
export class DiskSpool {
  private readonly files: SpoolFile[] = [];
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
    const names = await readdir(dir);
    for (const name of names) {
      const gz = GZIP_NAME.exec(name);
      const plain = gz ? null : PLAIN_NAME.exec(name);
      if (!gz && !plain) continue;
      const body = await readFile(path.join(dir, name));
      spool.files.push({ seq: Number((gz ?? plain)![1]), name, bytes: body.length, lines: gz ? Number(gz[2]) : countLines(body) });
    }
    spool.files.sort((a, b) => a.seq - b.seq);
    for (const f of spool.files) {
      spool.bytes += f.bytes;
      spool.lines += f.lines;
    }
    for (const name of names.filter((n) => n.endsWith('.tmp'))) await rm(path.join(dir, name), { force: true });
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

  /** Keeps a batch (the gzip body of `count` NDJSON lines) on disk; resolves once it is durable. */
  async append(gzipped: Buffer, count: number): Promise<void> {
    const seq = this.nextSeq++;
    const name = `${String(seq).padStart(12, '0')}.${count}.ndjson.gz`;
    const file = path.join(this.dir, name);
    const handle = await open(`${file}.tmp`, 'w');
    try {
      await handle.writeFile(gzipped);
      await handle.sync();
      await handle.close();
      await rename(`${file}.tmp`, file);
    } catch (err) {
      // A full disk: what was written of the batch goes, so that it frees what it took.
      await handle.close().catch(() => {});
      await rm(`${file}.tmp`, { force: true }).catch(() => {});
      throw err;
    }
    this.files.push({ seq, name, bytes: gzipped.length, lines: count });
    this.bytes += gzipped.length;
    this.lines += count;
  }

  /** Batches on disk, oldest first. */
  seqs(): number[] {
    return this.files.map((f) => f.seq);
  }

  /** A batch and its event count; it stays on disk until remove(). `gzipped` false: plain NDJSON. */
  async read(seq: number): Promise<{ body: Buffer; gzipped: boolean; count: number }> {
    const f = this.files.find((x) => x.seq === seq);
    if (!f) throw new Error(`no batch ${seq} in the spool`);
    return { body: await readFile(path.join(this.dir, f.name)), gzipped: f.name.endsWith('.gz'), count: f.lines };
  }

  /** Removes a batch: delivered, or dropped to make room (then its lines are returned for counting). */
  async remove(seq: number): Promise<number> {
    const i = this.files.findIndex((f) => f.seq === seq);
    if (i < 0) return 0;
    const [entry] = this.files.splice(i, 1);
    this.bytes -= entry!.bytes;
    this.lines -= entry!.lines;
    await rm(path.join(this.dir, entry!.name), { force: true });
    return entry!.lines;
  }
}

function countLines(ndjson: Buffer): number {
  let n = 0;
  for (let i = ndjson.indexOf(10); i >= 0; i = ndjson.indexOf(10, i + 1)) n++;
  return n;
}
