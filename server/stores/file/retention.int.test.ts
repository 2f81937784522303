import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../shared/logger.ts';
import { A, B, C, NOW, POLICY, retentionEvents } from '../../../test/retention-fixture.ts';
import { createFileRetention } from './retention.ts';
import { createFileSink } from './sink.ts';

const log = createLogger('silent');
let dir: string;

async function files(): Promise<string[]> {
  const out: string[] = [];
  for (const p of (await readdir(dir)).sort()) {
    if (!(await stat(path.join(dir, p))).isDirectory()) out.push(p);
    else for (const f of (await readdir(path.join(dir, p))).sort()) out.push(`${p}/${f}`);
  }
  return out;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'logflow-retention-'));
  const sink = createFileSink({ dir });
  await sink.prepare();
  await sink.write(retentionEvents());
  // What is not an archive file stays; so does an older.log whose newest event is not past retention.
  await writeFile(path.join(dir, 'readme.txt'), 'not a project');
  await writeFile(path.join(dir, String(A), 'notes.txt'), 'not an archive file');
  await mkdir(path.join(dir, '9'));
  await writeFile(path.join(dir, '9', 'older.log'), `${JSON.stringify({ timestamp: '1999-01-01T00:00:00.000Z' })}\n${JSON.stringify({ timestamp: '2026-11-30T00:00:00.000Z' })}\n`);
});

afterAll(() => rm(dir, { recursive: true, force: true }));

const BEFORE = [
  `${A}/2026-11-01.log`, `${A}/2026-11-20.log`, `${A}/2026-12-01.log`, `${A}/2026-12-02.log`, `${A}/2026-10.log`, `${A}/older.log`,
  `${B}/2026-11-20.log`, `${B}/2026-11-23.log`, `${B}/2026-11-24.log`, `${B}/2026-12-01.log`,
  `${C}/2026-11-20.log`, `${C}/2026-08.log`, `${C}/2026-09.log`, `${C}/2026-10.log`,
  `${A}/notes.txt`, '9/older.log', 'readme.txt',
].sort();

const EXPIRED = [
  { name: `${A}/2026-10.log`, projectId: A, before: '2026-11-01T00:00:00.000Z' },
  { name: `${A}/older.log`, projectId: A, before: '1999-06-01T00:00:00.001Z' },
  { name: `${B}/2026-11-20.log`, projectId: B, before: '2026-11-21T00:00:00.000Z' },
  { name: `${B}/2026-11-23.log`, projectId: B, before: '2026-11-24T00:00:00.000Z' },
  { name: `${C}/2026-08.log`, projectId: C, before: '2026-09-01T00:00:00.000Z' },
].map((r) => ({ store: 'file', kind: 'file', ...r, bytes: expect.any(Number) }));

describe('when asked what is past retention (a dry run)', () => {
  it('does list each project’s files whose whole period is past its own retention, and removes nothing', async () => {
    expect(await files()).toEqual(BEFORE);
    expect(await createFileRetention({ dir }).apply(POLICY, { nowMs: NOW, dryRun: true, log })).toEqual(EXPIRED);
    expect(await files()).toEqual(BEFORE);
  });
});

describe('when retention runs', () => {
  it('does remove exactly those files', async () => {
    expect(await createFileRetention({ dir }).apply(POLICY, { nowMs: NOW, dryRun: false, log })).toEqual(EXPIRED);
    expect(await files()).toEqual(BEFORE.filter((f) => !EXPIRED.some((e) => e.name === f)));
    expect(await createFileRetention({ dir }).apply(POLICY, { nowMs: NOW, dryRun: false, log })).toEqual([]);
  });
});
