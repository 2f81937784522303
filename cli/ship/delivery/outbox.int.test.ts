import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../shared/logger.ts';
import { Changes } from './changes.ts';
import { Outbox, type Job } from './outbox.ts';
import type { OutgoingBatch } from './parcel.ts';
import { DiskSpool } from './spool.ts';

// The outbox with a real spool in a temporary directory: where batches wait, in which order, when
// their receipts are told, and what the drop policy does.

let dir: string;
const log = createLogger('silent');

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'logflow-outbox-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A batch of `count` events named `<name>:<i>`, with a receipt that records when it is told. */
function batch(name: string, count: number, told: string[]): OutgoingBatch {
  const lines = Array.from({ length: count }, (_, i) => JSON.stringify({ event_id: `${name}:${i}`, message: 'x'.repeat(40) }));
  const ndjson = Buffer.from(lines.join('\n') + '\n');
  return { ndjson, count, bytes: ndjson.length, receipt: { secured: () => told.push(name) } };
}

async function outbox(o: { memoryBytes?: number; spoolBytes?: number; whenFull?: 'block' | 'drop-oldest' } = {}) {
  const spool = await DiskSpool.open(path.join(dir, 'spool'), o.spoolBytes ?? 1 << 30);
  return { spool, box: new Outbox({ spool, memoryBytes: o.memoryBytes ?? 1 << 20, whenFull: o.whenFull ?? 'block', log, changes: new Changes() }) };
}

/** Takes every job, oldest first, and says what each holds (its first event's id), as it leaves. */
async function drainAll(box: Outbox): Promise<string[]> {
  const out: string[] = [];
  for (let job: Job | undefined = box.take(); job; job = box.take()) {
    const first = JSON.parse((await (await box.parcel(job)).lines())[0]!) as { event_id: string };
    out.push(`${job.kind} ${first.event_id.split(':')[0]}`);
    await box.delivered(job);
    box.release(job);
  }
  return out;
}

describe('when batches come faster than they are sent', () => {
  it('does keep them in memory up to the limit, then on disk, and hands them out oldest first', async () => {
    const told: string[] = [];
    const { box, spool } = await outbox({ memoryBytes: 2 * batch('x', 3, []).bytes });
    for (const name of ['a', 'b', 'c', 'd']) await box.put(batch(name, 3, told));
    // a and b fit in memory; c goes to disk, and d after it (once anything is on disk, the rest follows).
    expect(spool.batches).toBe(2);
    expect(told).toEqual(['c', 'd']); // on disk is safe: their receipts are told at once
    expect(await drainAll(box)).toEqual(['memory a', 'memory b', 'spool c', 'spool d']);
    expect(told).toEqual(['c', 'd', 'a', 'b']); // memory batches once delivered
    expect(box.empty).toBe(true);
  });

  it('does put a batch whose sending stopped back first in line', async () => {
    const { box } = await outbox();
    for (const name of ['a', 'b']) await box.put(batch(name, 1, []));
    const job = box.take()!;
    box.putBack(job);
    box.release(job);
    expect(await drainAll(box)).toEqual(['memory a', 'memory b']);
  });
});

describe('when the spool is full', () => {
  it('does make put() wait (--when-full block) until a spooled batch is delivered', async () => {
    const { box, spool } = await outbox({ memoryBytes: 1, spoolBytes: 1 });
    await box.put(batch('a', 50, [])); // an empty spool takes a batch larger than itself
    let waited = true;
    const second = box.put(batch('b', 50, [])).then(() => (waited = false));
    await new Promise((r) => setTimeout(r, 300));
    expect(waited).toBe(true);
    const job = box.take()!;
    await box.delivered(job);
    box.release(job);
    await second;
    expect(spool.seqs()).toHaveLength(1);
  });

  it('does drop the oldest batch and count its events (--when-full drop-oldest)', async () => {
    const { box } = await outbox({ memoryBytes: 1, spoolBytes: 1, whenFull: 'drop-oldest' });
    for (const name of ['a', 'b', 'c']) await box.put(batch(name, 10, []));
    expect(box.dropped).toBe(20);
    expect(await drainAll(box)).toEqual(['spool c']);
  });
});

describe('when delivery stops for good or the shipper exits', () => {
  it('does send every later batch straight to the spool once halted', async () => {
    const told: string[] = [];
    const { box, spool } = await outbox();
    box.halt();
    await box.put(batch('a', 2, told));
    expect(spool.batches).toBe(1);
    expect(told).toEqual(['a']);
  });

  it('does move what waits in memory to the spool, telling each receipt', async () => {
    const told: string[] = [];
    const first = await outbox();
    for (const name of ['a', 'b']) await first.box.put(batch(name, 2, told));
    await first.box.spoolRest();
    expect(told).toEqual(['a', 'b']);
    const next = await outbox(); // the next run finds them, oldest first
    expect(await drainAll(next.box)).toEqual(['spool a', 'spool b']);
  });
});

describe('when the spool cannot be written (a full disk)', () => {
  it('does wait and try again, losing nothing, and counts what it cannot keep at exit', async () => {
    const told: string[] = [];
    const { box } = await outbox({ memoryBytes: 1 });
    await box.put(batch('a', 1, told));
    const spoolDir = path.join(dir, 'spool');
    await rename(spoolDir, `${spoolDir}.aside`);
    await writeFile(spoolDir, ''); // every write into it now fails
    let kept = false;
    const waiting = box.put(batch('b', 4, told)).then(() => (kept = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(kept).toBe(false);
    box.stopping(); // shutting down: no more waiting, and what cannot be kept is counted
    await waiting;
    expect(box.unkept).toBe(4);
    expect(told).toEqual(['a']);
  });
});
