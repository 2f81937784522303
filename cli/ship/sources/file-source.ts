import { open, readdir, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { errorMessage } from '../../../shared/errors.ts';
import { fingerprint, type FileCheckpoint } from './checkpoints.ts';
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

const GLOB_CHARS = /[*?[\]{}]/;

/**
 * Tails every file matching the patterns: those there at start (from their checkpoint, else from
 * their end unless fromBeginning), and those that appear later (from their beginning). chokidar tells
 * us early about new and growing files; a periodic scan and poll make sure nothing depends on an
 * event arriving. Rotation: a renamed file keeps its tailer (same inode) until read to its end; the
 * new file at the path gets a tailer of its own. Copytruncate: see Tailer.
 */
export class FileSource {
  private readonly tailers = new Map<string, Tailer>(); // by dev:ino
  private watcher?: FSWatcher;
  private timers: NodeJS.Timeout[] = [];
  private scanning?: Promise<void>;
  private closed = false;
  /** Bytes of deleted files let go before they could be read (output full for too long). */
  lostBytes = 0;
  /** New files that look like a copy of a file we tail: given a few scans to prove it (copytruncate). */
  private readonly suspects = new Map<string, number>();
  /** Files (dev:ino) truncated or rewritten in place while we were stopped: all they hold is new. */
  private readonly rewrittenWhileAway = new Set<string>();

  constructor(private readonly o: FileSourceOptions) {}

  async start(): Promise<void> {
    await this.recoverRotated().catch((err) => this.o.log.warn({ err: errorMessage(err) }, 'looking for files rotated while stopped failed'));
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
    return this.tailers.size;
  }

  /** Stops reading; whatever each file holds is handed to the shipper. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timers.forEach(clearInterval);
    await this.watcher?.close();
    await this.scanning;
    await Promise.allSettled([...this.tailers.values()].map((t) => t.close()));
  }

  private scan(startup: boolean): Promise<void> {
    this.scanning ??= this.doScan(startup)
      .catch((err) => this.o.log.warn({ err: errorMessage(err) }, 'scanning for files failed'))
      .finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  private async doScan(startup: boolean): Promise<void> {
    const seen = new Set<string>();
    for (const file of await expand(this.o.patterns, this.o.exclude ?? [])) {
      if (this.closed) return;
      const st = await stat(file).catch(() => undefined);
      if (!st?.isFile()) continue;
      const id = `${st.dev}:${st.ino}`;
      seen.add(id);
      const known = this.tailers.get(id);
      if (known) {
        known.path = file; // renamed within the patterns: same file, same tailer
        continue;
      }
      if (!startup && (await this.looksLikeCopy(file, id, st.size))) continue;
      const t = await Tailer.open(this.o, file, startup, this.o.fromBeginning || this.rewrittenWhileAway.delete(id));
      if (t) this.adopt(t, 'tailing');
    }
    const now = Date.now();
    for (const [id, t] of this.tailers) {
      const pathNow = await stat(t.path).catch(() => undefined);
      const movedOrGone = !seen.has(id) || !pathNow || `${pathNow.dev}:${pathNow.ino}` !== id;
      if (movedOrGone) t.rotatedAt ??= now;
    }
  }

  private adopt(t: Tailer, what: string): void {
    t.onTruncate = (tailer) => this.finishFromCopy(tailer);
    this.tailers.set(`${t.dev}:${t.ino}`, t);
    this.o.log.info({ path: t.path, from: t.offset }, what);
    // Not awaited: a read waiting for room in a full output must not hold up finding other files.
    t.poll().catch((err) => this.o.log.warn({ err: errorMessage(err), path: t.path }, 'reading failed; will retry'));
  }

  /**
   * Rotations that happened while we were stopped. A file we had not read to its end may now be under
   * another name (renamed), or its content in a copy while the file itself was truncated (copytruncate),
   * outside the patterns either way. Its rest is read from the checkpoint under the same ids, then it
   * is let go; a file truncated or rewritten in place is read from its start, as all it holds is new.
   * Only the directory each file was in is looked at, as logrotate and its kind rotate within it.
   */
  private async recoverRotated(): Promise<void> {
    const matched = new Set(await expand(this.o.patterns, this.o.exclude ?? []));
    const records = this.o.checkpoints.all();
    const listings = new Map<string, Promise<Listed[]>>();
    const list = (dir: string) => listings.get(dir) ?? listings.set(dir, listFiles(dir)).get(dir)!;
    for (const r of records) {
      const files = await list(path.dirname(r.path));
      const same = files.find((f) => f.st.dev === r.dev && f.st.ino === r.ino);
      if (!same) continue; // deleted, or moved out of its directory: nothing left to read here
      if (same.st.size >= r.offset && (await holds(same, r))) {
        // Renamed out of the patterns: read its rest now. In place or renamed within them, the scan takes
        // it up; in place but no longer named by the patterns, it is the user's to leave.
        const renamedAway = same.file !== r.path && !matched.has(same.file);
        if (renamedAway && same.st.size > r.offset) await this.openRotated(same.file, 'reading the rest of a file renamed while stopped');
        continue;
      }
      // Truncated or rewritten in place; a file the patterns no longer name is left alone with its copy.
      if (!matched.has(same.file)) continue;
      this.rewrittenWhileAway.add(`${r.dev}:${r.ino}`);
      // The copy is a file of its own (a new inode) that starts as the record's file did and reaches
      // at least as far as we had read; one that another record already knows as its file is not it.
      for (const f of files) {
        if (f === same || f.st.size < r.offset || !(await holds(f, r))) continue;
        const another = records.find((o) => o !== r && o.dev === f.st.dev && o.ino === f.st.ino);
        if (another && (await holds(f, another))) continue;
        if (another) this.o.checkpoints.forget(another); // its inode was reused by the copy
        this.o.checkpoints.relocate(r, { dev: f.st.dev, ino: f.st.ino });
        if (!matched.has(f.file)) await this.openRotated(f.file, 'reading the rest of a file copied and truncated while stopped');
        break;
      }
    }
  }

  private async openRotated(file: string, what: string): Promise<void> {
    const t = await Tailer.open(this.o, file, true, false, false);
    if (!t) return;
    t.rotatedAt = Date.now();
    this.adopt(t, what);
  }

  private async pollAll(): Promise<void> {
    const now = Date.now();
    for (const [id, t] of this.tailers) {
      try {
        await t.poll(now);
        if (t.finished(now, this.o.rotateWaitMs ?? 5000)) {
          this.tailers.delete(id);
          await t.close();
          this.o.log.info({ path: t.path }, 'rotated file read to its end; let go');
        }
      } catch (err) {
        this.o.log.warn({ err: errorMessage(err), path: t.path }, 'reading failed; will retry');
      }
    }
  }

  /** A deleted file stuck behind full output is not held open for ever (a known way to fill a disk). */
  private async releaseDeleted(): Promise<void> {
    const limit = this.o.releaseDeletedAfterMs ?? 60_000;
    const now = Date.now();
    for (const [id, t] of this.tailers) {
      if (t.rotatedAt === undefined || now - Math.max(t.lastProgress, t.rotatedAt) < limit) continue;
      const st = await t.fh.stat().catch(() => undefined);
      if (!st || st.nlink > 0) continue; // renamed, still on disk: it is read when there is room
      this.tailers.delete(id);
      const unread = await t.abandon().catch(() => 0);
      this.lostBytes += unread;
      this.o.log.warn({ path: t.path, unreadBytes: unread }, 'let go of a deleted file while output was full; its unread bytes are lost');
    }
  }

  private async pollPath(file: string): Promise<void> {
    for (const t of this.tailers.values()) if (t.path === file) await t.poll().catch(() => {});
  }

  /**
   * A new file that starts with the same bytes as a file we tail, in the same directory, may be a
   * copytruncate copy whose truncation we have not seen yet; reading it from its start would send
   * everything twice. It gets three scans; if no truncation claims it, it is a file of its own.
   */
  private async looksLikeCopy(file: string, id: string, size: number): Promise<boolean> {
    // Every file tailed in the directory is a candidate, not only the first: with several, the copy
    // of the second would otherwise be taken for a new file and shipped twice.
    const twins = [...this.tailers.values()].filter((t) => path.dirname(t.path) === path.dirname(file) && t.head.length > 0 && size >= t.head.length);
    if (!twins.length) return false;
    const fh = await open(file, 'r').catch(() => undefined);
    if (!fh) return false;
    try {
      const buf = Buffer.alloc(Math.max(...twins.map((t) => t.head.length)));
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      if (!twins.some((t) => t.head.length <= bytesRead && buf.subarray(0, t.head.length).equals(t.head))) return false;
    } finally {
      await fh.close();
    }
    const tries = (this.suspects.get(id) ?? 0) + 1;
    this.suspects.set(id, tries);
    return tries <= 3;
  }

  /** Reads the rest of a truncated file's content from its copy, under the same id and offsets. */
  private async finishFromCopy(t: Tailer): Promise<void> {
    const dir = path.dirname(t.path);
    for (const name of await readdir(dir)) {
      const file = path.join(dir, name);
      const st = await stat(file).catch(() => undefined);
      if (!st?.isFile() || st.ino === t.ino || st.size < t.offset || !t.head.length) continue;
      const fh = await open(file, 'r').catch(() => undefined);
      if (!fh) continue;
      try {
        const head = Buffer.alloc(t.head.length);
        await fh.read(head, 0, head.length, 0);
        if (!head.equals(t.head)) continue;
        const rest = Buffer.alloc(st.size - t.offset);
        await fh.read(rest, 0, rest.length, t.offset);
        if (rest.length) await t.consume(rest);
        // The record keeps its offset (where the server's confirmations reached), not the copy's size:
        // the lines just read are not delivered yet, and after a crash a restart must read them again
        // from the copy (same ids, so the server stores them once) rather than skip them.
        this.o.checkpoints.relocate(t.record, { dev: st.dev, ino: st.ino });
        this.suspects.delete(`${st.dev}:${st.ino}`);
        this.o.log.info({ path: t.path, copy: file, bytes: rest.length }, 'read the end of the truncated file from its copy');
        return;
      } finally {
        await fh.close();
      }
    }
  }
}

interface Listed {
  file: string;
  st: Stats;
  /** sha256 of the first bytes, by length: several records may ask. */
  heads: Map<number, Promise<string | undefined>>;
}

/** The regular files in a directory, with their stats; none when it cannot be read. */
async function listFiles(dir: string): Promise<Listed[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: Listed[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    const st = await stat(file).catch(() => undefined);
    if (st?.isFile()) out.push({ file, st, heads: new Map() });
  }
  return out;
}

/** The file starts with the bytes the record's fingerprint was made of. */
async function holds(f: Listed, r: FileCheckpoint): Promise<boolean> {
  if (f.st.size < r.fpLen) return false;
  let head = f.heads.get(r.fpLen);
  if (!head) {
    head = open(f.file, 'r').then(
      async (fh) => fingerprint(fh, r.fpLen).finally(() => fh.close()),
      () => undefined,
    );
    f.heads.set(r.fpLen, head);
  }
  return (await head) === r.fingerprint;
}

/** The directory a pattern's matches live under (what chokidar watches). */
function baseDir(pattern: string): string {
  const parts = path.resolve(pattern).split(path.sep);
  const i = parts.findIndex((p) => GLOB_CHARS.test(p));
  return i < 0 ? path.dirname(parts.join(path.sep)) : parts.slice(0, i).join(path.sep) || path.sep;
}

/**
 * Rotated files compressed by logrotate and its kind: bytes, not lines. A glob such as `app.log*` that
 * reaches them leaves them out; a file named on the command line is read whatever its name.
 */
const COMPRESSED = ['*.gz', '*.bz2', '*.xz', '*.zst', '*.lz4', '*.zip', '*.Z'];

/**
 * Files matching the patterns now (tinyglobby: the matcher chokidar's own ecosystem uses), less
 * those a glob found that match an exclusion. An exclusion without a slash is matched against the
 * file's name (`*.gz`), one with a slash against its path.
 */
async function expand(patterns: string[], exclude: string[]): Promise<string[]> {
  const resolved = patterns.map((p) => path.resolve(p));
  const plain = resolved.filter((p) => !GLOB_CHARS.test(p));
  const globs = resolved.filter((p) => GLOB_CHARS.test(p));
  if (!globs.length) return [...new Set(plain)];
  // tinyglobby matches absolute exclusions only: a name pattern applies under each glob's base directory.
  const bases = [...new Set(globs.map(baseDir))];
  const ignore = [...COMPRESSED, ...exclude].flatMap((e) => (e.includes('/') ? [path.resolve(e)] : bases.map((b) => path.join(b, '**', e))));
  // Loaded only for patterns (about 4 MB): a shipper of named files does without it.
  const { glob } = await import('tinyglobby');
  const matched = await glob(globs, { absolute: true, onlyFiles: true, dot: true, expandDirectories: false, ignore });
  return [...new Set([...plain, ...matched])];
}
