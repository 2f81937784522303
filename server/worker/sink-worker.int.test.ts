import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LogFlowError } from '../../shared/errors.ts';
import type { LogEvent } from '../../shared/event.ts';
import { eventually, REDIS_URL, uniqueName } from '../../test/helpers.ts';
import { EventStream } from '../queue/stream.ts';
import type { Sink, WriteResult } from '../stores/types.ts';
import { SinkWorker } from './sink-worker.ts';

// The sink worker's loop against a real Redis, with a store of its own written here: a real
// implementation of the Sink interface that keeps events in memory and can be told to be away, to
// ask for events again, or to fail the way a bug does. The loop is what is under test, not a store.

const event = (i: number): LogEvent => ({
  event_id: `e${i}`,
  project_id: 1,
  timestamp: '2026-11-01T00:00:00.000Z',
  ingest_ts: '2026-11-01T00:00:00.000Z',
  service: 'api',
  level: 'INFO',
  message: `m${i}`,
});
const events = (n: number) => Array.from({ length: n }, (_, i) => event(i));

class MemorySink implements Sink {
  readonly name = 'file' as const;
  /** event_id → how many times it was stored. */
  readonly stored = new Map<string, number>();
  readonly batches: string[][] = [];
  away = false;
  /** Only the check fails: a store that is away while its writes fail in a way no store error explains. */
  checkFails = false;
  /** Events a write fails on with a TypeError, as a bug in a sink would. */
  poisoned = new Set<string>();
  /** Events a write fails on as a whole, permanently (e.g. a body too large). */
  tooLarge = new Set<string>();
  /** Events the store asks for again this many times. */
  busy = new Map<string, number>();
  /** Events refused for good, one by one. */
  refused = new Set<string>();

  async prepare(): Promise<void> {
    if (this.away) throw new LogFlowError('STORE_UNAVAILABLE', 'memory store is away', { transient: true });
  }

  async check(): Promise<void> {
    if (this.checkFails) throw new Error('connect ECONNREFUSED');
    await this.prepare();
  }

  async write(batch: LogEvent[]): Promise<WriteResult[]> {
    this.batches.push(batch.map((e) => e.event_id));
    await this.prepare();
    const ids = batch.map((e) => e.event_id);
    if (ids.some((id) => this.poisoned.has(id))) throw new TypeError("Cannot read properties of undefined (reading 'length')");
    if (ids.some((id) => this.tooLarge.has(id))) throw new LogFlowError('STORE_REJECTED', 'the store refused the batch (HTTP 413): too large');
    return batch.map((e) => {
      const left = this.busy.get(e.event_id) ?? 0;
      if (left > 0) {
        this.busy.set(e.event_id, left - 1);
        return { status: 'retry', reason: 'queue full' };
      }
      if (this.refused.has(e.event_id)) return { status: 'reject', reason: 'not this one' };
      this.stored.set(e.event_id, (this.stored.get(e.event_id) ?? 0) + 1);
      return { status: 'ok' };
    });
  }

  async close(): Promise<void> {}
}

/** A store whose writes wait until it is opened: how many are in hand at once is what it tells. */
class GatedSink extends MemorySink {
  waiting: (() => void)[] = [];
  most = 0;
  private opened = false;
  private writing = 0;

  override async write(batch: LogEvent[]): Promise<WriteResult[]> {
    this.writing++;
    this.most = Math.max(this.most, this.writing);
    try {
      if (!this.opened) await new Promise<void>((resolve) => this.waiting.push(resolve));
      return await super.write(batch);
    } finally {
      this.writing--;
    }
  }

  open(): void {
    this.opened = true;
    for (const go of this.waiting.splice(0)) go();
  }
}

describe('when a sink worker moves events into its store', () => {
  let stream: EventStream;
  let workers: SinkWorker[];
  const lines: string[] = [];
  const log = pino({ level: 'debug' }, new Writable({ write: (chunk, _enc, done) => (lines.push(...String(chunk).split('\n').filter(Boolean)), done()) })).child({ sink: 'file' });

  const start = (sink: Sink, o: { consumer?: string; claimIdleMs?: number; blockMs?: number; inFlight?: number } = {}) => {
    const w = new SinkWorker({ queue: stream, sink, consumer: o.consumer ?? 'c1', batchSize: 50, inFlight: o.inFlight, claimIdleMs: o.claimIdleMs ?? 30_000, log, blockMs: o.blockMs ?? 100 });
    w.start();
    workers.push(w);
    return w;
  };
  const pending = async () => (await stream.groups()).find((g) => g.name === 'file')?.pending;
  const allSettled = async () => {
    const g = (await stream.groups()).find((x) => x.name === 'file');
    return g && g.pending === 0 && g.lag === 0 ? true : undefined;
  };

  beforeAll(async () => {
    stream = await EventStream.open(REDIS_URL, uniqueName('t'), 'patient');
  });
  beforeEach(async () => {
    workers = [];
    lines.length = 0;
  });
  afterEach(async () => {
    for (const w of workers) await w.close();
    await stream.destroy();
    // The logger it is given already names the sink: no line names it twice.
    for (const l of lines) expect(l.match(/"sink":/g), l).toHaveLength(1);
  });
  afterAll(() => stream.close());

  it('does wait out a store that is away, settling nothing meanwhile, then store each event once', async () => {
    const sink = new MemorySink();
    await stream.ensureGroup('file');
    await stream.append(events(120));
    sink.away = true;
    start(sink);
    // Away at start: it is waited for (prepare), then taken back while writes fail.
    await new Promise((r) => setTimeout(r, 600));
    sink.away = false;
    await eventually(async () => (sink.stored.size > 0 ? true : undefined), 10_000, 'a first write');
    sink.away = true;
    await stream.append(events(130).slice(120));
    await eventually(async () => (sink.batches.length > sink.stored.size / 50 + 3 ? true : undefined), 10_000, 'failed writes');
    expect(await pending()).toBeGreaterThan(0);
    sink.away = false;
    await eventually(allSettled, 20_000, 'everything settled');
    expect(sink.stored.size).toBe(130);
    expect([...sink.stored.values()].every((n) => n === 1)).toBe(true);
    expect((await stream.deadLetters.list({ limit: 10 })).total).toBe(0);
  });

  it('does find the one event a sink bug fails on, dead-letter it with the reason, and store the rest', async () => {
    const sink = new MemorySink();
    sink.poisoned.add('e37');
    await stream.append(events(100));
    start(sink);
    await eventually(allSettled, 60_000, 'everything settled');
    expect(sink.stored.size).toBe(99);
    expect(sink.stored.has('e37')).toBe(false);
    const { letters, total } = await stream.deadLetters.list({ limit: 10 });
    expect(total).toBe(1);
    expect(letters[0]).toMatchObject({ sink: 'file', event: event(37) });
    expect(letters[0]!.reason).toMatch(/TypeError: Cannot read properties of undefined/);
  });

  it('does split a batch the store refuses as a whole, so only the event that causes it is refused', async () => {
    const sink = new MemorySink();
    sink.tooLarge.add('e5');
    await stream.append(events(40));
    start(sink);
    await eventually(allSettled, 20_000, 'everything settled');
    expect(sink.stored.size).toBe(39);
    const { letters } = await stream.deadLetters.list({ limit: 10 });
    expect(letters.map((l) => [l.event?.event_id, l.reason])).toEqual([['e5', 'the store refused the batch (HTTP 413): too large']]);
  });

  it('does refuse nothing while the store does not answer its check, even when writes fail the way a bug does', async () => {
    const sink = new MemorySink();
    sink.poisoned = new Set(events(10).map((e) => e.event_id));
    sink.checkFails = true;
    await stream.append(events(10));
    start(sink);
    // Down to one event, tried again after its check failed, more than once.
    await eventually(async () => (sink.batches.filter((b) => b.length === 1).length >= 5 ? true : undefined), 30_000, 'failed writes of one event');
    expect((await stream.deadLetters.list({ limit: 10 })).total).toBe(0);
    sink.checkFails = false;
    sink.poisoned.clear();
    await eventually(allSettled, 30_000, 'everything settled');
    expect(sink.stored.size).toBe(10);
    expect((await stream.deadLetters.list({ limit: 10 })).total).toBe(0);
  });

  it('does write again only the events the store asked for again', async () => {
    const sink = new MemorySink();
    sink.busy.set('e3', 2).set('e7', 1);
    sink.refused.add('e9');
    await stream.append(events(10));
    start(sink);
    await eventually(allSettled, 20_000, 'everything settled');
    expect(sink.batches).toEqual([events(10).map((e) => e.event_id), ['e3', 'e7'], ['e3']]);
    expect(sink.stored.size).toBe(9);
    expect((await stream.deadLetters.list({ limit: 10 })).letters.map((l) => l.reason)).toEqual(['not this one']);
  });

  it('does keep a batch it holds through a long outage from being taken over, and let it go when it stops', async () => {
    const held = new MemorySink();
    const other = new MemorySink();
    await stream.append(events(20));
    const first = start(held, { consumer: 'first', claimIdleMs: 300 });
    await eventually(async () => (held.stored.size === 20 ? true : undefined), 10_000, 'a first batch');
    held.away = true;
    await stream.append(events(40).slice(20));
    await eventually(async () => (held.batches.length > 2 ? true : undefined), 10_000, 'the outage to be met');
    start(other, { consumer: 'second', claimIdleMs: 300 });
    await new Promise((r) => setTimeout(r, 1500)); // five claim idle times
    expect(other.stored.size).toBe(0);
    // The first worker stops while the store is still away: what it held is left unsettled, and taken over.
    await first.close();
    await eventually(allSettled, 20_000, 'everything settled');
    expect(other.stored.size).toBe(20);
    expect([...held.stored.keys(), ...other.stored.keys()].sort()).toEqual(events(40).map((e) => e.event_id).sort());
  });

  it('does write several batches at once, keep every one from being taken over, and settle each once', async () => {
    const sink = new GatedSink();
    const other = new MemorySink();
    // As 150 requests of one event each: 150 stream entries, all pending until their batch is written.
    for (const e of events(150)) await stream.append([e]);
    start(sink, { consumer: 'first', claimIdleMs: 300, inFlight: 3 });
    try {
      await eventually(async () => (sink.waiting.length === 3 ? true : undefined), 10_000, 'three writes at once');
      start(other, { consumer: 'second', claimIdleMs: 300 });
      await new Promise((r) => setTimeout(r, 1500)); // five claim idle times, three batches in hand
      expect(sink.waiting).toHaveLength(3);
      expect(other.stored.size).toBe(0);
      expect(await pending()).toBe(150);
    } finally {
      sink.open();
    }
    await eventually(allSettled, 20_000, 'everything settled');
    expect(sink.most).toBe(3);
    expect(other.stored.size).toBe(0);
    expect([...sink.stored.keys()].sort()).toEqual(events(150).map((e) => e.event_id).sort());
    expect([...sink.stored.values()].every((n) => n === 1)).toBe(true);
  });

  it('does write one request\'s events in several batches at once, and acknowledge its entry once all are written', async () => {
    const sink = new GatedSink();
    await stream.append(events(150)); // one request: one stream entry, three batches of 50
    start(sink, { inFlight: 3 });
    try {
      await eventually(async () => (sink.waiting.length === 3 ? true : undefined), 10_000, 'three writes at once');
      expect(await pending()).toBe(1);
    } finally {
      sink.open();
    }
    await eventually(allSettled, 20_000, 'everything settled');
    expect([...sink.stored.keys()].sort()).toEqual(events(150).map((e) => e.event_id).sort());
    expect([...sink.stored.values()].every((n) => n === 1)).toBe(true);
  });

  it('does stop at once when closed, waiting on the store or on Redis, and says nothing of Redis', async () => {
    for (const waitingOn of ['store', 'redis']) {
      const sink = new MemorySink();
      await stream.append(events(5));
      const w = start(sink, { blockMs: 5000 });
      await eventually(allSettled, 10_000, 'everything settled');
      if (waitingOn === 'store') {
        sink.away = true;
        await stream.append(events(6).slice(5));
        await eventually(async () => (sink.batches.length > 1 ? true : undefined), 10_000, 'a failed write');
      } else {
        await new Promise((r) => setTimeout(r, 200)); // in its blocking read
      }
      const startedAt = Date.now();
      await w.close();
      await w.close();
      expect(Date.now() - startedAt).toBeLessThan(2000);
    }
    expect(lines.filter((l) => l.includes('Redis unavailable'))).toEqual([]);
  });
});
