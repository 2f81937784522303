import { stat } from 'node:fs/promises';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { errorMessage } from '../../../shared/errors.ts';
import { idOf, see, seeDirectory, type FileStat, type SeenFile } from './disk.ts';
import { baseDir, expand } from './paths.ts';
import { readToItsEnd, Rotation, stuckAfterRotation, type Tailed } from './rotation.ts';
import { Tailer, type TailerOptions } from './tailer.ts';

export interface FileSourceOptions extends TailerOptions {
  /** Paths or globs (`*`, `?`, `[...]`, `**`), as given on the command line. */
  patterns: string[];
  /** Globs (--exclude) that files matched by a glob must not match; compressed files never are read. */
  exclude?: string[];
  fromBeginning: boolean;
  pollMs?: number;
  rescanMs?: number;
  /** How long a rotated or deleted file is still read after its last growth before it is let go. */
  rotateWaitMs?: number;
  /** How long a deleted file may wait for room in a full output before it is let go unread. */
  releaseDeletedAfterMs?: number;
}

/** A file being read, as the file source keeps it: its tailer, the name the patterns give it, and since when it is rotated away. */
class TailedFile implements Tailed {
  rotatedAt?: number;

  constructor(
    readonly tailer: Tailer,
    public path: string,
  ) {}

  get id(): string {
    return this.tailer.id;
  }
  get head(): Buffer {
    return this.tailer.head;
  }
  get offset(): number {
    return this.tailer.offset;
  }
  get lastGrowth(): number {
    return this.tailer.lastGrowth;
  }
  get lastProgress(): number {
    return this.tailer.lastProgress;
  }
}

/**
 * Tails every file matching the patterns: those there at start (from their checkpoint, else from
 * their end unless fromBeginning), and those that appear later (from their beginning). chokidar tells
 * us early about new and growing files; a periodic scan and poll make sure nothing depends on an
 * event arriving. What rotation means for each file is decided in rotation.ts from what this class
 * sees; this class looks and acts.
 */
export class FileSource {
  private readonly tailed = new Map<string, TailedFile>(); // by dev:ino
  /** Each file's reading, with what a rewrite asks for: one at a time per file. */
  private readonly busy = new Map<TailedFile, Promise<void>>();
  private readonly rotation = new Rotation();
  private watcher?: FSWatcher;
  private timers: NodeJS.Timeout[] = [];
  private scanning?: Promise<void>;
  private closed = false;
  /** Bytes of deleted files let go before they could be read (output full for too long). */
  lostBytes = 0;

  constructor(private readonly o: FileSourceOptions) {}

  async start(): Promise<void> {
    await this.recover().catch((err) => this.o.log.warn({ err: errorMessage(err) }, 'looking for files rotated while stopped failed'));
    await this.scan(true);
    const dirs = [...new Set(this.o.patterns.map(baseDir))];
    this.watcher = watch(dirs, { ignoreInitial: true, depth: this.o.patterns.some((p) => p.includes('**')) ? 99 : 0, persistent: false });
    this.watcher.on('add', () => void this.scan(false));
    this.watcher.on('change', (p) => void this.pollPath(path.resolve(p)));
    this.watcher.on('error', (err) => this.o.log.warn({ err: errorMessage(err) }, 'file watcher error; polling continues'));
    this.timers.push(setInterval(() => void this.pollAll(), this.o.pollMs ?? 250));
    this.timers.push(setInterval(() => void this.scan(false), this.o.rescanMs ?? 1000));
    // Its own timer: while output is full, polling and scanning wait for room, and this must not.
    this.timers.push(setInterval(() => void this.releaseDeleted(), 1000));
  }

  get files(): number {
    return this.tailed.size;
  }

  /** Stops reading; whatever each file holds is handed to the shipper. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timers.forEach(clearInterval);
    await this.watcher?.close();
    await this.scanning;
    await Promise.allSettled([...this.busy.values()]);
    await Promise.allSettled([...this.tailed.values()].map((t) => t.tailer.close()));
  }

  /** Rotations that happened while we were stopped (see Rotation.recover). */
  private async recover(): Promise<void> {
    const named = new Set(await expand(this.o.patterns, this.o.exclude ?? []));
    const records = this.o.checkpoints.all();
    const listings = new Map<string, SeenFile[]>();
    for (const dir of new Set(records.map((r) => path.dirname(r.path)))) listings.set(dir, await seeDirectory(dir));
    for (const step of this.rotation.recover(records, listings, named)) {
      if (step.kind === 'forget') this.o.checkpoints.forget(step.record);
      if (step.kind === 'relocate') this.o.checkpoints.relocate(step.record, step.to);
      if (step.kind === 'finish') await this.openRotated(step.file.path, step.why === 'renamed' ? 'reading the rest of a file renamed while stopped' : 'reading the rest of a file copied and truncated while stopped');
    }
  }

  private async openRotated(file: string, what: string): Promise<void> {
    const t = await Tailer.open(this.o, file, { startup: true, fromBeginning: false, named: false });
    if (t) this.adopt(t, file, what).rotatedAt = Date.now();
  }

  private scan(startup: boolean): Promise<void> {
    this.scanning ??= this.doScan(startup)
      .catch((err) => this.o.log.warn({ err: errorMessage(err) }, 'scanning for files failed'))
      .finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  private async doScan(startup: boolean): Promise<void> {
    const began = Date.now();
    const matched: (FileStat & { head?: Buffer })[] = [];
    for (const file of await expand(this.o.patterns, this.o.exclude ?? [])) {
      if (this.closed) return;
      const st = await stat(file).catch(() => undefined);
      if (!st?.isFile()) continue;
      const f = { path: file, dev: st.dev, ino: st.ino, size: st.size };
      // A file not read yet may be a copy of one that is: its first bytes tell.
      matched.push(startup || this.tailed.has(idOf(f)) ? f : ((await see(file, f)) ?? f));
    }
    const now = Date.now();
    const steps = this.rotation.scan(matched, [...this.tailed.values()], startup);
    for (const step of steps) {
      if (this.closed) return;
      if (step.kind === 'renamed') this.tailed.get(step.id)!.path = step.path;
      if (step.kind === 'rotated') this.tailed.get(step.id)!.rotatedAt ??= now;
      if (step.kind === 'open') {
        const t = await Tailer.open(this.o, step.file.path, { startup, fromBeginning: this.o.fromBeginning || step.fromStart, named: true });
        if (t) this.adopt(t, step.file.path, 'tailing');
      }
    }
    // Every file the patterns named when it began now has a checkpoint, unless one is held back as a copy.
    if (!steps.some((s) => s.kind === 'hold')) this.o.checkpoints.scanned(began);
  }

  private adopt(t: Tailer, file: string, what: string): TailedFile {
    const entry = new TailedFile(t, file);
    this.tailed.set(t.id, entry);
    this.o.log.info({ path: file, from: t.offset }, what);
    // Not awaited: a read waiting for room in a full output must not hold up finding other files.
    this.poll(entry).catch((err) => this.o.log.warn({ err: errorMessage(err), path: file }, 'reading failed; will retry'));
    return entry;
  }

  private poll(t: TailedFile, now = Date.now()): Promise<void> {
    let reading = this.busy.get(t);
    if (!reading) {
      reading = this.read(t, now).finally(() => this.busy.delete(t));
      this.busy.set(t, reading);
    }
    return reading;
  }

  /**
   * Reads what is new. A file rewritten in place (copytruncate) is finished from its copy, under the
   * same ids, if there is one in its directory; then it is read anew, as a new generation.
   */
  private async read(t: TailedFile, now: number): Promise<void> {
    if ((await t.tailer.poll(now)) === 'read') return;
    this.o.log.info({ path: t.path, at: t.offset }, 'file truncated (copytruncate): finishing from the copy, then reading it anew');
    const copy = this.rotation.copyOf(t, await seeDirectory(path.dirname(t.path)));
    if (copy) {
      const bytes = await t.tailer.finishFrom(copy);
      this.o.log.info({ path: t.path, copy: copy.path, bytes }, 'read the end of the truncated file from its copy');
    }
    await t.tailer.startOver(t.path);
    await t.tailer.poll(now);
  }

  private async pollAll(): Promise<void> {
    const now = Date.now();
    for (const [id, t] of this.tailed) {
      try {
        await this.poll(t, now);
        if (readToItsEnd(t, this.busy.has(t), now, this.o.rotateWaitMs ?? 5000)) {
          this.tailed.delete(id);
          await t.tailer.close();
          this.o.log.info({ path: t.path }, 'rotated file read to its end; let go');
        }
      } catch (err) {
        this.o.log.warn({ err: errorMessage(err), path: t.path }, 'reading failed; will retry');
      }
    }
  }

  /** A deleted file stuck behind full output is not held open for ever (a known way to fill a disk). */
  private async releaseDeleted(): Promise<void> {
    const now = Date.now();
    for (const [id, t] of this.tailed) {
      if (!stuckAfterRotation(t, now, this.o.releaseDeletedAfterMs ?? 60_000) || !(await t.tailer.deleted())) continue; // renamed, still on disk: read when there is room
      this.tailed.delete(id);
      const unread = await t.tailer.abandon().catch(() => 0);
      this.lostBytes += unread;
      this.o.log.warn({ path: t.path, unreadBytes: unread }, 'let go of a deleted file while output was full; its unread bytes are lost');
    }
  }

  private async pollPath(file: string): Promise<void> {
    for (const t of this.tailed.values()) if (t.path === file) await this.poll(t).catch(() => {});
  }
}
