import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointStore } from './checkpoints.ts';

// Checkpoints in a real state directory: what a start makes of a file it has no record of.

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'logflow-checkpoints-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Records a file the way a scan does, which saves at once. */
async function record(store: CheckpointStore, name: string): Promise<void> {
  const file = path.join(dir, name);
  await writeFile(file, 'a line\n');
  const fh = await open(file, 'r');
  const st = await fh.stat();
  await store.create(fh, file, st.dev, st.ino, st.size, 0);
  await fh.close();
}

describe('when a start finds a file it has no checkpoint of', () => {
  it('does read it from its end on the very first start, like tail -f', async () => {
    const store = await CheckpointStore.open(path.join(dir, 'state'));
    expect(store.startOffsetForUnknown(500, Date.now() - 60_000, false)).toBe(500);
    expect(store.startOffsetForUnknown(500, Date.now() - 60_000, true)).toBe(0);
  });

  it('does read it from its end when it was there before the last run looked, and whole when it came after', async () => {
    const first = await CheckpointStore.open(path.join(dir, 'state'));
    const scanned = Date.now();
    first.scanned(scanned);
    await record(first, 'a.log');
    const next = await CheckpointStore.open(path.join(dir, 'state'));
    expect(next.startOffsetForUnknown(500, scanned - 60_000, false)).toBe(500);
    expect(next.startOffsetForUnknown(500, scanned + 10, false)).toBe(0);
  });

  it('does read it whole when it appeared after the last scan of a run killed before a scan saw it, even if that run saved later', async () => {
    // The app rotated (a new app.log) just after a scan; the run saved its checkpoints (another file's
    // confirmations) and was killed before its next scan took the new file up.
    const first = await CheckpointStore.open(path.join(dir, 'state'));
    const scanned = Date.now();
    first.scanned(scanned);
    const bornAt = scanned + 300;
    await new Promise((r) => setTimeout(r, 1500));
    await record(first, 'other.log'); // a save well after the new file was born
    const next = await CheckpointStore.open(path.join(dir, 'state'));
    expect(next.startOffsetForUnknown(500, bornAt, false)).toBe(0);
  });
});
