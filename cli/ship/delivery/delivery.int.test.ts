import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../shared/logger.ts';
import { acceptAll, startReceiver, type Answering, type Receiver } from '../../../test/receiver.ts';
import { LogFlowClient } from '../../client.ts';
import { Delivery } from './delivery.ts';
import type { OutgoingBatch } from './parcel.ts';
import { DiskSpool } from './spool.ts';

// Delivery as a whole (outbox, sender, pumps, drain) against a real HTTP server and a real spool.

let dir: string;
let receiver: Receiver;
const clients: LogFlowClient[] = [];
const log = createLogger('silent');
const down: Answering = () => ({ status: 503, headers: { 'retry-after': '0' }, body: { error: 'queue_unavailable', message: 'Redis is away' } });

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'logflow-delivery-'));
  receiver = await startReceiver();
});

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await receiver.close();
  await rm(dir, { recursive: true, force: true });
});

function batch(from: number, count: number, told: number[]): OutgoingBatch {
  const lines = Array.from({ length: count }, (_, i) => JSON.stringify({ event_id: `e:${from + i}`, message: `event ${from + i}` }));
  const ndjson = Buffer.from(lines.join('\n') + '\n');
  return { ndjson, count, bytes: ndjson.length, receipt: { secured: () => told.push(from) } };
}

async function delivery(o: { memoryBytes?: number; key?: string } = {}): Promise<Delivery> {
  const client = new LogFlowClient(receiver.url, o.key ?? 'lf_test');
  clients.push(client);
  const spool = await DiskSpool.open(path.join(dir, 'spool'), 1 << 30);
  return new Delivery({ client, log, spool, concurrency: 2, memoryBytes: o.memoryBytes ?? 1 << 20, whenFull: 'block', backoff: { baseMs: 5, maxMs: 50 } });
}

const accepted = () => receiver.accepted.map((e) => Number(String(e.event_id).split(':')[1])).sort((a, b) => a - b);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('when the server takes everything', () => {
  it('does deliver every batch once and tell each receipt', async () => {
    const d = await delivery();
    d.start();
    const told: number[] = [];
    for (let i = 0; i < 20; i++) await d.enqueue(batch(i * 10, 10, told));
    expect(await d.drain(10_000)).toBe(0);
    expect(accepted()).toEqual(range(200));
    expect(told.sort((a, b) => a - b)).toEqual(range(20).map((i) => i * 10));
    expect(d.stats).toEqual({ sent: 200, accepted: 200, rejected: 0, retries: 0, retrying: 0, dropped: 0 });
  });
});

describe('when the server is away, then back', () => {
  it('does spool what memory cannot hold and deliver it all once the server answers', async () => {
    receiver.answering = down;
    const d = await delivery({ memoryBytes: 2000 });
    d.start();
    const told: number[] = [];
    for (let i = 0; i < 10; i++) await d.enqueue(batch(i * 20, 20, told));
    expect(d.spooledLines).toBeGreaterThan(0);
    receiver.answering = acceptAll;
    expect(await d.drain(10_000)).toBe(0);
    expect(accepted()).toEqual(range(200));
    expect(told).toHaveLength(10);
  });

  it('does leave in the spool what it could not deliver by the drain timeout, for the next run', async () => {
    receiver.answering = down;
    const first = await delivery();
    first.start();
    for (let i = 0; i < 3; i++) await first.enqueue(batch(i * 5, 5, []));
    expect(await first.drain(200)).toBe(15);
    expect(receiver.accepted).toEqual([]);
    receiver.answering = acceptAll;
    const next = await delivery();
    next.start();
    expect(await next.drain(10_000)).toBe(0);
    expect(accepted()).toEqual(range(15));
  });
});

describe('when the key is refused', () => {
  it('does stop delivering, say why, and keep every batch in the spool', async () => {
    receiver.answering = () => ({ status: 401, body: { error: 'unauthorized', message: 'API key is not valid' } });
    const d = await delivery({ key: 'lf_wrong' });
    d.start();
    const told: number[] = [];
    await d.enqueue(batch(0, 4, told));
    for (const start = Date.now(); !d.fatal && Date.now() - start < 5000; ) await new Promise((r) => setTimeout(r, 20));
    expect(d.fatal?.code).toBe('UNAUTHORIZED');
    await d.enqueue(batch(4, 4, told)); // after the stop: straight to the spool
    expect(await d.drain(10_000)).toBe(8);
    expect(told.sort()).toEqual([0, 4]);
  });
});
