// The stream seen from outside, as an operator sees it: how much of it a sink's group has left. Read
// in events: a group's lag is counted in events by the queue, its pending entries by what the bench
// wrote in each (a request's 1000 events), so the figures hold whatever a stream entry holds.
import { Redis } from 'ioredis';
import type { LogEvent } from '../../shared/event.ts';
import { EventStream } from '../../server/queue/stream.ts';
import { REDIS_URL } from './stack.ts';

export function connect(): Redis {
  return new Redis(REDIS_URL);
}

/** Appends the events through the product's own queue module, 1000 to a call, as ingest does. */
export async function fillStream(redis: Redis, namespace: string, events: LogEvent[]): Promise<number> {
  const stream = new EventStream(redis, namespace);
  for (let i = 0; i < events.length; i += 1000) await stream.append(events.slice(i, i + 1000));
  return entriesAdded(redis, stream.key);
}

/** Entries ever added to the stream (trimming does not lower it). */
export async function entriesAdded(redis: Redis, key: string): Promise<number> {
  const info = (await redis.call('XINFO', 'STREAM', key)) as unknown[];
  const i = info.indexOf('entries-added');
  return Number(info[i + 1]);
}

/**
 * Events a group has not acknowledged yet: not delivered (its lag, which the queue counts in events)
 * and delivered but pending (counted in entries: `eventsPerEntry` each, as the bench wrote them).
 */
export async function groupBacklog(redis: Redis, namespace: string, group: string, eventsPerEntry: number): Promise<number | undefined> {
  const groups = await new EventStream(redis, namespace).groups().catch(() => []);
  const g = groups.find((x) => x.name === group);
  if (!g || g.lag === null) return undefined;
  return g.lag + g.pending * eventsPerEntry;
}

export interface Drain {
  /** Events drained per second between the first entry acknowledged and the last. */
  perSecond: number;
  seconds: number;
  /** From the worker's start to the last entry acknowledged (start-up included). */
  totalSeconds: number;
  drained: boolean;
}

/**
 * Polls until the group has acknowledged all `entries` (or `timeoutMs` passed). The rate is taken
 * from the first poll that saw progress, so a worker's start-up is not counted against the store.
 */
export async function watchDrain(redis: Redis, namespace: string, group: string, entries: number, events: number, timeoutMs: number): Promise<Drain> {
  const started = performance.now();
  const perEntry = events / entries;
  let first: { at: number; left: number } | undefined;
  let last = { at: started, left: events };
  while (performance.now() - started < timeoutMs) {
    const left = await groupBacklog(redis, namespace, group, perEntry);
    const at = performance.now();
    if (left !== undefined) {
      if (!first && left < events) first = { at: last.at, left: last.left };
      last = { at, left };
      if (left === 0) break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const from = first ?? last;
  const seconds = (last.at - from.at) / 1000;
  return { perSecond: seconds > 0 ? (from.left - last.left) / seconds : NaN, seconds, totalSeconds: (last.at - started) / 1000, drained: last.left === 0 };
}
