import path from 'node:path';
import type { FileCheckpoint } from './checkpoints.ts';
import { hasFingerprint, idOf, startsWith, type FileStat, type SeenFile } from './disk.ts';

// Rotation's decisions, from what the file source sees on disk and what the checkpoints say: which
// files to take up, follow, hold back, finish or let go. No file system here: the file source looks,
// these functions decide, the file source acts. Rotation by rename keeps the inode, so a renamed file
// is read to its end through the handle held open; copytruncate leaves the old content in a copy
// (another inode that starts with the same bytes), whose rest is read under the old ids.

/** What rotation knows of a file being read. */
export interface Tailed {
  readonly id: string;
  /** The name the patterns give it now (where it was last seen among them). */
  readonly path: string;
  /** Its first bytes as read (up to FINGERPRINT_BYTES): what a copytruncate copy starts with too. */
  readonly head: Buffer;
  readonly offset: number;
  /** Since when the patterns no longer name it (renamed away, deleted, replaced). */
  readonly rotatedAt?: number;
  /** When it last grew. */
  readonly lastGrowth: number;
  /** When a read was last handed on; a read stuck behind full output does not move it. */
  readonly lastProgress: number;
}

/** At start, for a checkpointed file. */
export type Recovery =
  /** Read the rest of a file away from its name and out of the patterns, then let it go. */
  | { kind: 'finish'; record: FileCheckpoint; file: SeenFile; why: 'renamed' | 'copied' }
  /** The record's content lives on in a copy (copytruncate): the record moves to it, its offset kept. */
  | { kind: 'relocate'; record: FileCheckpoint; to: SeenFile }
  /** A record whose inode the copy now has: that file is gone. */
  | { kind: 'forget'; record: FileCheckpoint }
  /** Truncated or rewritten in place while stopped: all it holds is new, read it from its start. */
  | { kind: 'read-anew'; file: SeenFile };

/** In a scan, for a file the patterns match or one being read. */
export type ScanStep =
  /** The same file (inode) under another name the patterns give: same reading, new name. */
  | { kind: 'renamed'; id: string; path: string }
  /** A file to take up: from its checkpoint, else as a new file (`fromStart`: from its start whatever else applies). */
  | { kind: 'open'; file: FileStat; fromStart: boolean }
  /** May be a copytruncate copy whose truncation is not seen yet: not read for now. */
  | { kind: 'hold'; file: FileStat }
  /** No longer named by the patterns: read it to its end, then let it go. */
  | { kind: 'rotated'; id: string };

/** A file starts with the bytes a checkpoint's fingerprint was made of. */
export function holds(f: SeenFile, r: FileCheckpoint): boolean {
  return f.size >= r.fpLen && hasFingerprint(f.head, r);
}

/** Read in place since we last looked: shorter than where we are, or its first bytes are no longer the ones we read. */
export function rewritten(size: number, offset: number, expectedHead: Buffer, head: Buffer): boolean {
  // Size alone misses a copytruncate followed by a burst that took the file past our offset before we
  // looked again: we would go on mid-line in the new content, losing its start and the copy's end.
  return size < offset || !startsWith(head, expectedHead);
}

/** A rotated file is done with: read to its end (no read going on) and quiet for rotateWaitMs. */
export function readToItsEnd(t: Tailed, reading: boolean, now: number, rotateWaitMs: number): boolean {
  return t.rotatedAt !== undefined && !reading && now - t.lastGrowth >= rotateWaitMs && now - t.rotatedAt >= rotateWaitMs;
}

/** A rotated file whose reading has waited for room in the output longer than limitMs: let go of it if it is deleted. */
export function stuckAfterRotation(t: Tailed, now: number, limitMs: number): boolean {
  return t.rotatedAt !== undefined && now - Math.max(t.lastProgress, t.rotatedAt) >= limitMs;
}

/** How many scans a file that looks like a copy is held back before it is taken as a file of its own. */
const SUSPECT_SCANS = 3;

/** The decisions, with what they must remember between scans. */
export class Rotation {
  /** New files that look like a copy of a file we read, and how many scans they were held back. */
  private readonly suspects = new Map<string, number>();
  /** Files truncated or rewritten in place while we were stopped, until a scan takes them up. */
  private readonly readAnew = new Set<string>();

  /**
   * Rotations that happened while we were stopped, from the checkpoints and a listing of the
   * directory each file was in (logrotate and its kind rotate within it). A checkpointed file that
   * is still there, holds its first bytes and was not read to its end is read to its end: the scan
   * takes it up if the patterns name it; else, if it is away from the name it was shipped under
   * (renamed, or a copy), it is finished here. A file in place under a name the patterns no longer
   * give is the user's to leave.
   */
  recover(records: readonly FileCheckpoint[], listings: ReadonlyMap<string, readonly SeenFile[]>, named: ReadonlySet<string>): Recovery[] {
    const out: Recovery[] = [];
    const at = new Map(records.map((r) => [r, idOf(r)])); // where each record's file is, as decided so far
    for (const r of records) {
      const files = listings.get(path.dirname(r.path)) ?? [];
      const same = at.has(r) ? files.find((f) => idOf(f) === at.get(r)) : undefined;
      if (!same) continue; // deleted, moved out of its directory, or forgotten
      if (same.size >= r.offset && holds(same, r)) {
        if (same.path !== r.path && !named.has(same.path) && same.size > r.offset) out.push({ kind: 'finish', record: r, file: same, why: 'renamed' });
        continue;
      }
      if (!named.has(same.path)) continue; // a file the patterns no longer name is left alone with its copy
      this.readAnew.add(idOf(same));
      out.push({ kind: 'read-anew', file: same });
      const copy = this.copyAtStart(r, same, files, records, at);
      if (!copy) continue;
      if (copy.another) {
        at.delete(copy.another);
        out.push({ kind: 'forget', record: copy.another });
      }
      at.set(r, idOf(copy.file));
      out.push({ kind: 'relocate', record: r, to: copy.file });
      if (!named.has(copy.file.path)) out.push({ kind: 'finish', record: r, file: copy.file, why: 'copied' });
    }
    return out;
  }

  /**
   * The copy of a record's file truncated while we were stopped: another file of the directory that
   * starts as the record's file did and reaches at least as far as we had read. One that another
   * record already knows as its own file is not it; a record whose inode the copy reuses is returned
   * as `another`, to be forgotten.
   */
  private copyAtStart(r: FileCheckpoint, same: SeenFile, files: readonly SeenFile[], records: readonly FileCheckpoint[], at: ReadonlyMap<FileCheckpoint, string>) {
    for (const f of files) {
      if (f === same || f.size < r.offset || !holds(f, r)) continue;
      const another = records.find((o) => o !== r && at.get(o) === idOf(f));
      if (another && holds(f, another)) continue;
      return { file: f, another };
    }
    return undefined;
  }

  /**
   * One scan: the files the patterns match now (with their first bytes for those not read yet, when
   * the scan needs them) and those being read. At startup nothing is held back as a copy: a copy made
   * while we were stopped was dealt with by recover().
   */
  scan(matched: readonly (FileStat & { head?: Buffer })[], tailed: readonly Tailed[], startup: boolean): ScanStep[] {
    const steps: ScanStep[] = [];
    const byId = new Map(tailed.map((t) => [t.id, t]));
    const seen = new Set<string>();
    for (const f of matched) {
      const id = idOf(f);
      seen.add(id);
      const known = byId.get(id);
      if (known) {
        if (known.path !== f.path) steps.push({ kind: 'renamed', id, path: f.path });
      } else if (!startup && this.looksLikeCopy(f, id, tailed)) {
        steps.push({ kind: 'hold', file: f });
      } else {
        steps.push({ kind: 'open', file: f, fromStart: this.readAnew.delete(id) });
      }
    }
    for (const t of tailed) if (!seen.has(t.id) && t.rotatedAt === undefined) steps.push({ kind: 'rotated', id: t.id });
    return steps;
  }

  /**
   * A new file that starts with the same bytes as a file we read, in the same directory, may be a
   * copytruncate copy whose truncation we have not seen yet; reading it from its start would send
   * everything twice. It is held back a few scans; if no truncation claims it, it is a file of its own.
   * Every file read in the directory is a candidate, not only the first: with several, the copy of the
   * second would otherwise be taken for a new file and shipped twice.
   */
  private looksLikeCopy(f: FileStat & { head?: Buffer }, id: string, tailed: readonly Tailed[]): boolean {
    const dir = path.dirname(f.path);
    const head = f.head;
    if (!head || !tailed.some((t) => path.dirname(t.path) === dir && t.head.length > 0 && f.size >= t.head.length && startsWith(head, t.head))) return false;
    const tries = (this.suspects.get(id) ?? 0) + 1;
    this.suspects.set(id, tries);
    return tries <= SUSPECT_SCANS;
  }

  /**
   * A file we read was truncated in place (copytruncate): the file of its directory that holds the
   * rest of what we were reading. It starts with the bytes we read first, is another file, and reaches
   * at least as far as we had read. It is no longer held back as a suspect.
   */
  copyOf(t: Tailed, files: readonly SeenFile[]): SeenFile | undefined {
    if (!t.head.length) return undefined;
    const copy = files.find((f) => idOf(f) !== t.id && f.size >= t.offset && startsWith(f.head, t.head));
    if (copy) this.suspects.delete(idOf(copy));
    return copy;
  }
}
