import { createHash } from 'node:crypto';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

// What the file source sees on disk, and the one test of "does this file start with these bytes".

/** How many leading bytes of a file identify it, with its device and inode. */
export const FINGERPRINT_BYTES = 256;

/** A regular file as stat sees it. */
export interface FileStat {
  path: string;
  dev: number;
  ino: number;
  size: number;
}

/** A file with its first bytes (up to FINGERPRINT_BYTES): enough to tell what it is a copy of. */
export interface SeenFile extends FileStat {
  head: Buffer;
}

/** `dev:ino`: a file whatever its name. */
export const idOf = (f: { dev: number; ino: number }): string => `${f.dev}:${f.ino}`;

/** The first `length` bytes of an open file (fewer when it is shorter), read into `scratch` when given. */
export async function readHead(fh: FileHandle, length: number, scratch?: Buffer): Promise<Buffer> {
  const buf = scratch && scratch.length >= length ? scratch : Buffer.alloc(length);
  const { bytesRead } = length ? await fh.read(buf, 0, length, 0) : { bytesRead: 0 };
  return buf.subarray(0, bytesRead);
}

/** Whether a file whose first bytes are `head` starts with `expected`. */
export function startsWith(head: Buffer, expected: Buffer): boolean {
  return head.length >= expected.length && head.subarray(0, expected.length).equals(expected);
}

/** sha256 of a file's first bytes: a checkpoint's fingerprint. */
export function digest(head: Buffer): string {
  return createHash('sha256').update(head).digest('hex');
}

/** Whether a file whose first bytes are `head` starts with the `fpLen` bytes a fingerprint was made of. */
export function hasFingerprint(head: Buffer, fp: { fingerprint: string; fpLen: number }): boolean {
  return head.length >= fp.fpLen && digest(head.subarray(0, fp.fpLen)) === fp.fingerprint;
}

/** The file at `file` with its first bytes, or undefined when it is not a regular file we can read. */
export async function see(file: string, known?: FileStat): Promise<SeenFile | undefined> {
  const st = known ?? (await stat(file).then((s) => (s.isFile() ? { path: file, dev: s.dev, ino: s.ino, size: s.size } : undefined), () => undefined));
  if (!st) return undefined;
  const fh = await open(file, 'r').catch(() => undefined);
  if (!fh) return undefined;
  try {
    return { ...st, head: Buffer.from(await readHead(fh, FINGERPRINT_BYTES)) };
  } finally {
    await fh.close();
  }
}

/** The regular files of a directory we can read, with their first bytes; none when it cannot be read. */
export async function seeDirectory(dir: string): Promise<SeenFile[]> {
  const out: SeenFile[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const f = await see(path.join(dir, name));
    if (f) out.push(f);
  }
  return out;
}
