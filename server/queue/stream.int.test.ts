import { Redis } from 'ioredis';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { LogEvent } from '../../shared/event.ts';
import { REDIS_URL, uniqueName } from '../../test/helpers.ts';
import { EventStream } from './stream.ts';

const event = (i: number): LogEvent => ({
  event_id: `e${i}`,
  project_id: 1,
  timestamp: '2026-11-01T00:00:00.000Z',
  ingest_ts: '2026-11-01T00:00:00.000Z',
  service: 'api',
  level: 'INFO',
  message: `m${i}`,
});

describe('when events go through the stream', () => {
  const redis = new Redis(REDIS_URL);
  const reader = new Redis(REDIS_URL);
  let stream: EventStream;

  beforeEach(async () => {
    stream = new EventStream(redis, uniqueName('t'));
    return async () => stream.destroy();
  });

  afterAll(() => {
    redis.disconnect();
    reader.disconnect();
  });

  it('trims nothing while no group reads, and nothing a group has not acknowledged', async () => {
    await stream.append(Array.from({ length: 10 }, (_, i) => event(i)));
    expect(await stream.trim()).toBe(0);
    await stream.ensureGroup('fast');
    await stream.ensureGroup('slow');
    const fast = await stream.read(reader, 'fast', 'c1', 100, '>');
    await stream.ack('fast', fast.map((e) => e.id));
    const slow = await stream.read(reader, 'slow', 'c1', 5, '>');
    await stream.ack('slow', slow.slice(0, 2).map((e) => e.id));
    // slow still holds entries 2..4 and has not read 5..9: those 8 stay.
    await stream.trim();
    expect(await stream.length()).toBe(8);
    const pending = await stream.read(reader, 'slow', 'c1', 100, '0');
    expect(pending.map((e) => e.event?.event_id)).toEqual(['e2', 'e3', 'e4']);
  });

  it('trims what every group acknowledged', async () => {
    await stream.append(Array.from({ length: 6 }, (_, i) => event(i)));
    for (const g of ['a', 'b']) {
      await stream.ensureGroup(g);
      const got = await stream.read(reader, g, 'c1', 100, '>');
      await stream.ack(g, got.map((e) => e.id));
    }
    await stream.trim();
    expect(await stream.length()).toBeLessThanOrEqual(1); // the last delivered entry marks the place
  });

  it('lets a live consumer claim what a silent one left pending', async () => {
    await stream.append([event(1), event(2)]);
    await stream.ensureGroup('g');
    await stream.read(reader, 'g', 'dead', 10, '>');
    await new Promise((r) => setTimeout(r, 50));
    const claimed = await stream.claimStale('g', 'alive', 20, 10);
    expect(claimed.map((e) => e.event?.event_id)).toEqual(['e1', 'e2']);
    expect(await stream.read(reader, 'g', 'alive', 10, '0')).toHaveLength(2);
  });

  it('keeps refused events in the dead-letter stream with the reason', async () => {
    await stream.append([event(1)]);
    await stream.ensureGroup('g');
    const [entry] = await stream.read(reader, 'g', 'c', 10, '>');
    await stream.deadLetter('postgres', [{ entry: entry!, reason: 'invalid byte sequence' }]);
    const letters = await redis.xrange(stream.deadLetterKey, '-', '+');
    expect(letters).toHaveLength(1);
    const fields = letters[0]![1];
    const record: Record<string, string> = {};
    for (let i = 0; i < fields.length; i += 2) record[fields[i]!] = fields[i + 1]!;
    expect(record).toMatchObject({ sink: 'postgres', reason: 'invalid byte sequence', entry_id: entry!.id });
    expect(JSON.parse(record.event!).event_id).toBe('e1');
  });
});
