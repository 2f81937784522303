import { appendFile, copyFile, mkdtemp, rm, stat, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../shared/logger.ts';
import type { OutgoingBatch } from '../delivery/delivery.ts';
import { Shipper } from '../shipper.ts';
import { CheckpointStore } from './checkpoints.ts';
import { Tailer } from './tailer.ts';

// One tailer on a real file, its events gathered by a real shipper: what it reads, and how it
// finishes a copytruncate copy when the file source tells it where the copy is.

let dir: string;
const log = createLogger('silent');
const line = (i: number) => `2026-11-01T00:00:00.000Z INFO ${'x'.repeat(i % 200)} line ${i}\n`;
const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => line(from + k)).join('');

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'logflow-tailer-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function tailer(file: string) {
  const batches: OutgoingBatch[] = [];
  const shipper = new Shipper({ delivery: { enqueue: async (b) => void batches.push(b) }, log, context: { service: 'api', fields: {} }, format: 'text', multiline: { maxBytes: 1 << 20, idleMs: 0 }, batchSize: 1000, batchBytes: 1 << 20, flushIntervalMs: 0 });
  const checkpoints = await CheckpointStore.open(path.join(dir, 'state'));
  const t = (await Tailer.open({ shipper, checkpoints, log, partialIdleMs: 5000 }, file, { startup: false, fromBeginning: true, named: true }))!;
  /** The numbers of the lines shipped so far, with the offsets their ids carry. */
  const shipped = async () => {
    await shipper.finish();
    return batches.flatMap((b) => b.ndjson.toString().trim().split('\n').map((l) => JSON.parse(l) as { event_id: string; message: string }));
  };
  return { t, shipped, checkpoints };
}

describe('when a file is copied and truncated while it is read', () => {
  it('does read the rest from the copy in chunks, every line once under the old ids, then the file anew', async () => {
    const file = path.join(dir, 'app.log');
    await writeFile(file, lines(0, 100));
    const { t, shipped, checkpoints } = await tailer(file);
    expect(await t.poll()).toBe('read');
    // The application wrote about 2 MB more before logrotate copied and truncated: many reads' worth.
    await appendFile(file, lines(100, 20_000));
    await copyFile(file, `${file}.1`);
    await truncate(file, 0);
    await appendFile(file, lines(20_000, 20_010));
    expect(await t.poll()).toBe('rewritten');
    const copy = await stat(`${file}.1`);
    const at = t.offset;
    const record = checkpoints.all()[0]!;
    expect(await t.finishFrom({ path: `${file}.1`, dev: copy.dev, ino: copy.ino, size: copy.size })).toBe(copy.size - at);
    expect(record).toMatchObject({ dev: copy.dev, ino: copy.ino, path: file }); // the checkpoint moved to the copy, under its name
    await t.startOver(file);
    expect(await t.poll()).toBe('read');
    await t.close();
    const events = await shipped();
    expect(events.map((e) => Number(/line (\d+)$/.exec(e.message)![1]))).toEqual(Array.from({ length: 20_010 }, (_, i) => i));
    // The copy's lines carry the first generation's id and their offsets in it; the new generation an id of its own.
    const ids = new Set(events.map((e) => e.event_id.split(':')[0]));
    expect(ids.size).toBe(2);
    expect(events[19_999]!.event_id).toBe(`${record.id}:${Buffer.byteLength(lines(0, 19_999))}`);
  });
});
