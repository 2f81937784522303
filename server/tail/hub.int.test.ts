import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { LogEvent } from '../../shared/event.ts';
import { compileQuery } from '../../shared/query/evaluate.ts';
import { parseQuery } from '../../shared/query/parse.ts';
import { eventually, REDIS_URL, uniqueName } from '../../test/helpers.ts';
import { EventStream } from '../queue/stream.ts';
import { TailHub, type TailSubscriber } from './hub.ts';

const redis = new Redis(REDIS_URL);
const log = pino({ level: 'silent' });
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});
afterAll(() => redis.disconnect());

let n = 0;
const event = (over: Partial<LogEvent> = {}): LogEvent => {
  n += 1;
  return { event_id: `e${n}`, project_id: 1, timestamp: new Date().toISOString(), ingest_ts: new Date().toISOString(), service: 'api', level: 'INFO', message: `event ${n}`, ...over };
};

function setup(maxPerProject?: number) {
  const stream = new EventStream(redis, uniqueName('tail'));
  const hub = new TailHub(stream, log, maxPerProject);
  cleanups.push(() => hub.close(), () => stream.destroy());
  return { stream, hub };
}

function collector(q: string, over: Partial<TailSubscriber> = {}) {
  const got: { id: string; event: LogEvent }[] = [];
  const missed: { count: number | null; reason: string }[] = [];
  const sub: TailSubscriber = {
    projectId: 1,
    matches: compileQuery(parseQuery(q)),
    deliver: (id, event) => got.push({ id, event }),
    missed: (count, reason) => missed.push({ count, reason }),
    ...over,
  };
  return { sub, got, missed, ids: () => got.map((g) => g.event.event_id) };
}

describe('when following the stream live', () => {
  it('does deliver new matching events of the project once each, in order, and nothing from before', async () => {
    const { stream, hub } = setup();
    await stream.append([event({ message: 'before' })]);
    const a = collector('level:>=WARN');
    const b = collector('');
    const { stop: stopA } = await hub.subscribe(a.sub);
    await hub.subscribe(b.sub);
    const batch = [event({ level: 'ERROR' }), event(), event({ level: 'WARN' }), event({ project_id: 2, level: 'ERROR' })];
    await stream.append(batch);
    await eventually(async () => (b.got.length === 3 ? true : undefined), 5000, 'the events');
    expect(a.ids()).toEqual([batch[0]!.event_id, batch[2]!.event_id]);
    expect(b.ids()).toEqual(batch.slice(0, 3).map((e) => e.event_id));
    stopA();
    await stream.append([event({ level: 'ERROR' })]);
    await eventually(async () => (b.got.length === 4 ? true : undefined), 5000, 'one more');
    expect(a.got).toHaveLength(2);
  });

  it('does go on after the last event a reader had, when it comes back', async () => {
    const { stream, hub } = setup();
    const first = collector('');
    const { stop } = await hub.subscribe(first.sub);
    await stream.append([event(), event()]);
    await eventually(async () => (first.got.length === 2 ? true : undefined), 5000, 'two events');
    stop();
    const meanwhile = [event(), event(), event()];
    await stream.append(meanwhile);
    const again = collector('', { after: first.got[1]!.id });
    await hub.subscribe(again.sub);
    await stream.append([event({ message: 'live' })]);
    await eventually(async () => (again.got.length === 4 ? true : undefined), 5000, 'the missed and the live events');
    expect(again.ids().slice(0, 3)).toEqual(meanwhile.map((e) => e.event_id));
    expect(again.missed).toEqual([]);
  });

  it('does tell a reader that comes back after the stream was trimmed past it', async () => {
    const { stream, hub } = setup();
    await stream.append([event(), event()]);
    const [firstId] = (await redis.xrange(stream.key, '-', '+')).map(([id]) => id);
    await stream.append([event()]);
    await stream.append([event()]);
    await redis.xtrim(stream.key, 'MAXLEN', 1);
    const late = collector('', { after: firstId });
    await hub.subscribe(late.sub);
    await eventually(async () => (late.missed.length ? true : undefined), 5000, 'the missed notice');
    expect(late.missed[0]).toMatchObject({ count: null, reason: expect.stringContaining('trimmed') });
    await eventually(async () => (late.got.length === 1 ? true : undefined), 5000, 'what is still in the stream');
  });

  it('does refuse one more reader than a project may have (429), and take it once another closes', async () => {
    const { stream, hub } = setup(2);
    const [a, b, c] = [collector(''), collector(''), collector('')];
    const { stop: stopA } = await hub.subscribe(a.sub);
    await hub.subscribe(b.sub);
    await expect(hub.subscribe(c.sub)).rejects.toMatchObject({ code: 'RATE_LIMITED', transient: true, message: expect.stringMatching(/2 live tails open.*LOGFLOW_MAX_TAILS_PER_PROJECT/) });
    // Another project is not held back by this one's readers.
    await hub.subscribe(collector('', { projectId: 2 }).sub);
    stopA();
    await hub.subscribe(c.sub);
    const e = event();
    await stream.append([e]);
    await eventually(async () => (c.got.length === 1 ? true : undefined), 5000, 'the new reader to follow');
    expect(c.ids()).toEqual([e.event_id]);
  });
});
