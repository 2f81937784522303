import { Redis } from 'ioredis';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { LogEvent } from '../../shared/event.ts';
import { REDIS_URL, uniqueName } from '../../test/helpers.ts';
import type { Delivery, GroupConsumer } from './queue.ts';
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

const ids = (ds: Delivery[]) => ds.map((d) => ('event' in d ? d.event.event_id : d.problem));

describe('when events go through the stream', () => {
  const redis = new Redis(REDIS_URL);
  let stream: EventStream;
  let consumers: GroupConsumer[];
  const consumer = (group: string, name = 'c1') => {
    const c = stream.consumer(group, name);
    consumers.push(c);
    return c;
  };

  beforeEach(async () => {
    stream = new EventStream(redis, uniqueName('t'));
    consumers = [];
    return async () => {
      for (const c of consumers) c.close();
      await stream.destroy();
    };
  });

  afterAll(() => {
    redis.disconnect();
  });

  it('trims nothing while no group reads, and nothing a group has not acknowledged', async () => {
    // Three accepted batches: e0-e1, e2-e4, e5-e9 (one stream entry each).
    await stream.append([event(0), event(1)]);
    await stream.append([event(2), event(3), event(4)]);
    await stream.append(Array.from({ length: 5 }, (_, i) => event(5 + i)));
    expect(await stream.trim()).toBe(0);
    await stream.ensureGroup('fast');
    await stream.ensureGroup('slow');
    const fast = consumer('fast');
    await fast.settle(await fast.next(100, 0), []);
    const slow = consumer('slow');
    const got = await slow.next(5, 0);
    expect(ids(got)).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
    // Settled out of order and in pieces: the first batch is done, the second is not (e2 and e4 are open).
    await slow.settle([got[3]!], []);
    await slow.settle([got[1]!, got[0]!], []);
    // slow still holds the batch of e2..e4 and has not read e5..e9: those 8 events stay.
    await stream.trim();
    expect(await stream.backlog()).toBe(8);
    expect(ids(await slow.unsettled(100))).toEqual(['e2', 'e4']);
  });

  it('trims what every group acknowledged', async () => {
    await stream.append(Array.from({ length: 6 }, (_, i) => event(i)));
    await stream.append([event(6)]);
    for (const g of ['a', 'b']) {
      await stream.ensureGroup(g);
      const c = consumer(g);
      await c.settle(await c.next(100, 0), []);
    }
    await stream.trim();
    expect(await stream.backlog()).toBe(0);
  });

  it('counts the backlog in events, whatever the entries hold, entries of earlier releases too', async () => {
    await redis.xadd(stream.key, '*', 'e', JSON.stringify(event(0)));
    await stream.append([event(1), event(2), event(3)]);
    await stream.append([event(4)]);
    await redis.xadd(stream.key, '*', 'e', JSON.stringify(event(5)));
    expect(await stream.backlog()).toBe(6);
    await stream.ensureGroup('g');
    const c = consumer('g');
    expect(ids(await c.next(100, 0))).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5']);
    // The stream deleted on its own (a flush): its count index no longer counts, and starts again.
    await redis.del(stream.key);
    expect(await stream.backlog()).toBe(0);
    await stream.append([event(6), event(7)]);
    expect(await stream.backlog()).toBe(2);
  });

  it('hands out at most the events asked for, and the rest of a batch next time', async () => {
    await stream.append(Array.from({ length: 5 }, (_, i) => event(i)));
    await stream.append([event(5), event(6)]);
    await stream.ensureGroup('g');
    const c = consumer('g');
    const first = await c.next(3, 0);
    // One batch received and not settled; the other's two events not received: lag counts events.
    expect((await stream.groups())[0]).toMatchObject({ pending: 1, lag: 2 });
    const second = await c.next(3, 0);
    const third = await c.next(3, 0);
    expect([ids(first), ids(second), ids(third)]).toEqual([['e0', 'e1', 'e2'], ['e3', 'e4', 'e5'], ['e6']]);
    expect(new Set([...first, ...second, ...third].map((d) => d.ref)).size).toBe(7);
    await c.settle([...third, ...second], []);
    // The first batch waits for e0..e2: still pending, so a restart gets them again.
    expect((await stream.groups())[0]).toMatchObject({ pending: 1 });
    expect(ids(await c.unsettled(10))).toEqual(['e0', 'e1', 'e2']);
    // Another start of the same consumer knows nothing of what was settled: it gets the batch whole.
    expect(ids(await consumer('g').unsettled(10))).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
  });

  it('gives a restarted consumer a half-settled batch whole, and acknowledges it once all of it is settled', async () => {
    await stream.append([event(1), event(2), event(3)]);
    await stream.ensureGroup('g');
    const before = consumer('g', 'w');
    const got = await before.next(10, 0);
    await before.settle([got[0]!], [{ delivery: got[1]!, reason: 'refused' }]);
    // Nothing is acknowledged, and no dead letter kept, until the whole entry is settled.
    expect((await stream.deadLetters.list({ limit: 10 })).total).toBe(0);
    before.close();
    const after = consumer('g', 'w');
    const again = await after.unsettled(10);
    expect(ids(again)).toEqual(['e1', 'e2', 'e3']);
    await after.settle([again[0]!, again[2]!], [{ delivery: again[1]!, reason: 'refused' }]);
    expect(await after.unsettled(10)).toEqual([]);
    expect((await stream.deadLetters.list({ limit: 10 })).letters.map((l) => l.event?.event_id)).toEqual(['e2']);
  });

  it('lets a live consumer take over what a silent one left unsettled', async () => {
    await stream.append([event(1), event(2)]);
    await stream.ensureGroup('g');
    await consumer('g', 'dead').next(10, 0);
    await new Promise((r) => setTimeout(r, 50));
    const alive = consumer('g', 'alive');
    expect(ids(await alive.takeOver(20, 10))).toEqual(['e1', 'e2']);
    expect(await alive.unsettled(10)).toHaveLength(2);
  });

  it('keeps what a consumer renews from being taken over', async () => {
    await stream.append([event(1)]);
    await stream.ensureGroup('g');
    const busy = consumer('g', 'busy');
    const held = await busy.next(10, 0);
    await new Promise((r) => setTimeout(r, 60));
    await busy.renew(held);
    expect(await consumer('g', 'other').takeOver(50, 10)).toEqual([]);
  });

  it('keeps refused events in the dead letters with the reason, and acknowledges them with the rest', async () => {
    await stream.append([event(1), event(2)]);
    await stream.ensureGroup('postgres');
    const c = consumer('postgres');
    const [bad, good] = await c.next(10, 0);
    await c.settle([good!], [{ delivery: bad!, reason: 'invalid byte sequence' }]);
    expect(await c.unsettled(10)).toEqual([]);
    const { letters, total } = await stream.deadLetters.list({ limit: 10 });
    expect(total).toBe(1);
    expect(letters[0]).toMatchObject({ sink: 'postgres', reason: 'invalid byte sequence', event: event(1) });
  });

  it('hands an entry that holds no event over as a problem, with what it held', async () => {
    await stream.ensureGroup('g');
    await redis.xadd(stream.key, '*', 'x', 'y');
    await redis.xadd(stream.key, '*', 'e', '{not json');
    await redis.xadd(stream.key, '*', 'n', '2', 'b', `${JSON.stringify(event(1))}\n{not json either`);
    const got = await consumer('g').next(10, 0);
    expect(got).toEqual([
      { ref: expect.any(String), problem: 'stream entry has no event field', raw: 'x y' },
      { ref: expect.any(String), problem: 'stream entry is not valid JSON', raw: '{not json' },
      { ref: expect.any(String), event: event(1) },
      { ref: expect.any(String), problem: 'stream entry is not valid JSON', raw: '{not json either' },
    ]);
  });
});

describe('when dead letters are replayed or dropped', () => {
  const redis = new Redis(REDIS_URL);
  let stream: EventStream;
  let consumers: GroupConsumer[];

  beforeEach(async () => {
    stream = new EventStream(redis, uniqueName('t'));
    consumers = ['opensearch', 'postgres'].map((g) => stream.consumer(g, 'c'));
    for (const g of ['opensearch', 'postgres']) await stream.ensureGroup(g);
    await stream.append([event(1), event(2), event(3)]);
    const [os, pg] = consumers as [GroupConsumer, GroupConsumer];
    const toOs = await os.next(10, 0);
    await os.settle(toOs.slice(1), [{ delivery: toOs[0]!, reason: 'mapping' }]);
    const toPg = await pg.next(10, 0);
    await pg.settle([], toPg.slice(1).map((d) => ({ delivery: d, reason: 'bug' })));
    await pg.settle([toPg[0]!], []);
    return async () => {
      for (const c of consumers) c.close();
      await stream.destroy();
    };
  });

  afterAll(() => {
    redis.disconnect();
  });

  it('does list them by sink, with how many there are in all', async () => {
    expect((await stream.deadLetters.list({ limit: 10 })).total).toBe(3);
    const pg = await stream.deadLetters.list({ sink: 'postgres', limit: 1 });
    expect(pg.total).toBe(2);
    expect(pg.letters.map((l) => l.event?.event_id)).toEqual(['e2']);
  });

  it('does send a replayed event to its own sink only', async () => {
    expect(await stream.deadLetters.replay({ sink: 'postgres' })).toEqual({ replayed: 2, unreadable: 0 });
    const [os, pg] = consumers as [GroupConsumer, GroupConsumer];
    expect(ids(await pg.next(10, 0))).toEqual(['e2', 'e3']);
    expect(await os.next(10, 0)).toEqual([]);
    // opensearch acknowledged them as not its own: nothing waits for it.
    expect(await os.unsettled(10)).toEqual([]);
    const left = await stream.deadLetters.list({ limit: 10 });
    expect(left.letters.map((l) => l.sink)).toEqual(['opensearch']);
  });

  it('does replay or drop one letter by its id', async () => {
    const { letters } = await stream.deadLetters.list({ sink: 'postgres', limit: 1 });
    expect(await stream.deadLetters.drop({ id: letters[0]!.id })).toBe(1);
    expect(await stream.deadLetters.drop({ id: letters[0]!.id })).toBe(0);
    expect(await stream.deadLetters.drop({ sink: 'opensearch' })).toBe(1);
    expect((await stream.deadLetters.list({ limit: 10 })).letters.map((l) => l.event?.event_id)).toEqual(['e3']);
  });
});

describe('when live tail follows the stream', () => {
  const redis = new Redis(REDIS_URL);
  let stream: EventStream;

  beforeEach(async () => {
    stream = new EventStream(redis, uniqueName('t'));
    return async () => {
      stream.close();
      await stream.destroy();
    };
  });

  afterAll(() => {
    redis.disconnect();
  });

  it('does read what comes after a position, outside any group, without replays for one store', async () => {
    const follower = stream.follower();
    expect(await follower.positions()).toEqual({ lastId: '0-0', firstId: '0-0' });
    await stream.ensureGroup('postgres');
    await stream.append([event(1)]);
    await stream.append([event(2)]);
    const { lastId, firstId } = await follower.positions();
    const all = await follower.rangeAfter('0-0', lastId, 10);
    expect(ids(all)).toEqual(['e1', 'e2']);
    expect(all[0]!.ref).toBe(firstId);
    // Waiting for what comes next, while a dead letter is replayed for postgres and a new event arrives.
    const next = follower.readAfter(lastId, 10, 5000);
    const c = stream.consumer('postgres', 'c');
    const got = await c.next(10, 0);
    await c.settle([got[1]!], [{ delivery: got[0]!, reason: 'x' }]);
    await stream.deadLetters.replay({});
    await stream.append([event(3)]);
    expect(ids(await next)).toEqual(['e3']);
    expect(ids(await follower.rangeAfter(all[1]!.ref, '+', 10))).toEqual(['e3']);
    expect(follower.compare(all[0]!.ref, all[1]!.ref)).toBeLessThan(0);
    // The groups never saw the follower: nothing pending, nothing acknowledged on its behalf.
    expect((await stream.groups()).map((g) => g.name)).toEqual(['postgres']);
  });

  it('does go on after a position inside a batch, and order the positions of its events', async () => {
    const follower = stream.follower();
    await stream.append([event(1), event(2), event(3)]);
    await stream.append([event(4)]);
    const { lastId } = await follower.positions();
    const all = await follower.rangeAfter('0-0', lastId, 10);
    expect(ids(all)).toEqual(['e1', 'e2', 'e3', 'e4']);
    for (let i = 1; i < all.length; i++) expect(follower.compare(all[i - 1]!.ref, all[i]!.ref)).toBeLessThan(0);
    expect(ids(await follower.readAfter(all[0]!.ref, 10, 100))).toEqual(['e2', 'e3']);
    expect(ids(await follower.readAfter(all[2]!.ref, 10, 100))).toEqual(['e4']);
    expect(ids(await follower.rangeAfter(all[0]!.ref, all[1]!.ref, 10))).toEqual(['e2']);
    expect(ids(await follower.rangeAfter(all[1]!.ref, lastId, 10))).toEqual(['e3', 'e4']);
  });

  it('does stop a waiting read when closed', async () => {
    const follower = stream.follower();
    const waiting = follower.readAfter('$', 10, 10_000).catch((err: Error) => err);
    await new Promise((r) => setTimeout(r, 100));
    const startedAt = Date.now();
    follower.close();
    follower.close();
    expect(await waiting).toBeInstanceOf(Error);
    expect(Date.now() - startedAt).toBeLessThan(1000);
  });
});
