import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { digest, FINGERPRINT_BYTES, hasFingerprint, readHead } from './disk.ts';

/**
 * Where shipping of one file stands. `id` is made once, when the file is first seen, and saved before
 * any of its lines is sent: every event_id from this file is `<id>:<byte offset>`, so after a crash
 * the same line gets the same id and the server stores it once.
 */
export interface FileCheckpoint {
  id: string;
  dev: number;
  ino: number;
  /** sha256 of the first fpLen bytes: tells a reused inode from the file we knew. */
  fingerprint: string;
  fpLen: number;
  /** Byte offset just past the last line the server accepted (or the spool holds). */
  offset: number;
  /**
   * The name the patterns found the file under. A file renamed or copied away from it keeps it: at
   * start, a file found elsewhere than its name and not read to its end is read to its end.
   */
  path: string;
  updatedAt: number;
}

const FORGET_AFTER_MS = 7 * 86_400_000;

/**
 * Unknown files born this long before the last scan an earlier run completed count as born after it:
 * a file system's clock for birth times runs a tick behind ours, and reading a new file whole is the
 * safe side.
 */
const BIRTH_MARGIN_MS = 1000;

/** The state directory's record of every file: one JSON file, replaced atomically on each save. */
export class CheckpointStore {
  private dirty = false;
  private saving?: Promise<void>;
  /** When the last scan of this run that saw every file the patterns name began. */
  private scannedAt?: number;

  private constructor(
    private readonly file: string,
    private readonly records: Map<string, FileCheckpoint>,
    /**
     * When the last scan an earlier run completed began (by then every file the patterns named had a
     * checkpoint, saved at once); its last save for files of older versions; undefined on the very first
     * start with this state directory.
     */
    readonly previousScanAt?: number,
  ) {}

  /**
   * A file we have no record of, found at start: from its end (the default, like `tail -f`) when it
   * was there before an earlier run looked, from its beginning when it was created since (a rotation
   * during a restart, or just before a crash, must not lose the new file's first lines).
   */
  startOffsetForUnknown(size: number, bornAtMs: number, fromBeginning: boolean): number {
    if (fromBeginning) return 0;
    return this.previousScanAt !== undefined && bornAtMs > this.previousScanAt - BIRTH_MARGIN_MS ? 0 : size;
  }

  /** A scan begun at `at` is done: every file the patterns name has a record. Saved with the next save. */
  scanned(at: number): void {
    this.scannedAt = at;
  }

  static async open(dir: string): Promise<CheckpointStore> {
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, 'checkpoints.json');
    const records = new Map<string, FileCheckpoint>();
    let scannedAt: number | undefined;
    try {
      const data = JSON.parse(await readFile(file, 'utf8')) as { files?: FileCheckpoint[]; savedAt?: number; scannedAt?: number };
      for (const r of data.files ?? []) records.set(r.id, r);
      scannedAt = data.scannedAt ?? data.savedAt ?? 0;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read checkpoints in ${file}: ${(err as Error).message}`);
    }
    return new CheckpointStore(file, records, scannedAt);
  }

  /** The checkpoint of the file open in `handle`, if we have shipped from it before. */
  async find(handle: FileHandle, dev: number, ino: number, size: number): Promise<FileCheckpoint | undefined> {
    let head: Buffer | undefined;
    for (const r of this.records.values()) {
      if (r.dev !== dev || r.ino !== ino || size < r.fpLen) continue;
      head ??= await readHead(handle, FINGERPRINT_BYTES);
      if (hasFingerprint(head, r)) return r;
    }
    return undefined;
  }

  /** Records a file seen for the first time; saved at once, before anything is sent under its id. */
  async create(handle: FileHandle, filePath: string, dev: number, ino: number, size: number, offset: number): Promise<FileCheckpoint> {
    // A record for the same inode with other content is an inode reused by a new file: forget it.
    for (const [id, r] of this.records) if (r.dev === dev && r.ino === ino) this.records.delete(id);
    const fpLen = Math.min(size, FINGERPRINT_BYTES);
    const r: FileCheckpoint = { id: `f${randomBytes(6).toString('hex')}`, dev, ino, fingerprint: await fingerprint(handle, fpLen), fpLen, offset, path: filePath, updatedAt: Date.now() };
    this.records.set(r.id, r);
    this.dirty = true;
    await this.save();
    return r;
  }

  /** Moves a file's checkpoint forward: the server (or the spool) has its lines up to `offset`. */
  advance(r: FileCheckpoint, offset: number): void {
    if (offset <= r.offset) return;
    r.offset = offset;
    r.updatedAt = Date.now();
    this.dirty = true;
  }

  /**
   * A file shorter than FINGERPRINT_BYTES when first seen: its fingerprint grows with what is read of
   * its first bytes (`head`, as read), and is saved at once. A record whose fingerprint covers nothing
   * would take any file on its inode for its own, and tell no copytruncate copy from another file.
   */
  async widen(r: FileCheckpoint, head: Buffer): Promise<void> {
    if (head.length <= r.fpLen) return;
    r.fpLen = Math.min(head.length, FINGERPRINT_BYTES);
    r.fingerprint = digest(head.subarray(0, r.fpLen));
    this.dirty = true;
    await this.save();
  }

  /**
   * The file a record describes now lives elsewhere (a copytruncate copy holds what we were reading).
   * Its offset stays: only confirmations move it (advance); so does its name.
   */
  relocate(r: FileCheckpoint, to: { dev: number; ino: number }): void {
    Object.assign(r, { dev: to.dev, ino: to.ino, updatedAt: Date.now() });
    this.records.set(r.id, r);
    this.dirty = true;
  }

  /** Every file we have a record of. */
  all(): FileCheckpoint[] {
    return [...this.records.values()];
  }

  forget(r: FileCheckpoint): void {
    this.dirty = this.records.delete(r.id) || this.dirty;
  }

  /** Writes the records if anything changed: to a temporary file, fsynced, then renamed over the old one. */
  async save(): Promise<void> {
    while (this.saving) await this.saving;
    if (!this.dirty) return;
    this.dirty = false;
    this.saving = this.write().finally(() => (this.saving = undefined));
    await this.saving;
  }

  private async write(): Promise<void> {
    const now = Date.now();
    for (const [id, r] of this.records) if (now - r.updatedAt > FORGET_AFTER_MS) this.records.delete(id);
    const tmp = `${this.file}.tmp`;
    const handle = await open(tmp, 'w');
    try {
      // A run that completed no scan (stdin, or killed in its first) passes the earlier run's on.
      const scannedAt = this.scannedAt ?? this.previousScanAt ?? now;
      await handle.writeFile(JSON.stringify({ version: 1, savedAt: now, scannedAt, files: [...this.records.values()] }));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, this.file);
  }
}

/**
 * Where a file's lane reports how far the file is safe: the end of the acknowledgement path from
 * delivery (BatchReceipt, Lane.secure), which moves the file's checkpoint (CheckpointStore.advance).
 */
export class CheckpointProgress {
  constructor(
    private readonly store: CheckpointStore,
    readonly record: FileCheckpoint,
  ) {}

  committed(offset: number): void {
    this.store.advance(this.record, offset);
  }
}

/** sha256 of a file's first `length` bytes. */
export async function fingerprint(handle: FileHandle, length: number): Promise<string> {
  return digest(await readHead(handle, length));
}
