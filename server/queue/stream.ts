import type { Redis } from 'ioredis';
import type { LogEvent } from '../../shared/event.ts';
import type { Logger } from '../../shared/logger.ts';
import { DeadLetterStream } from './dead-letters.ts';
import { APPEND_BATCH, batchArgs, indexCounts } from './entry.ts';
import type { EventQueue, GroupConsumer, GroupState, QueueFollower } from './queue.ts';
import { connectFailFast, connectOrIgnore, connectPatient, readDurabilityRisk, reportOutages } from './redis.ts';
import { LogFlowError } from '../../shared/errors.ts';
import { StreamConsumer } from './stream-consumer.ts';
import { StreamFollower } from './stream-follower.ts';
import { minStreamId, parseStreamId, successor } from './stream-id.ts';

/**
 * The queue on Redis: one stream of events, one consumer group per sink, and a dead-letter stream for
 * events a store will never take. Keys live under a namespace.
 */
export class EventStream implements EventQueue {
  readonly key: string;
  readonly deadLetterKey: string;
  /** One small entry per batch entry, with the same ID: how many events it holds, and how many came before (backlog()). */
  readonly countKey: string;
  private readonly appendedKey: string;
  readonly deadLetters: DeadLetterStream;
  private readonly closables = new Set<{ close(): void }>();
  private owned = false;

  constructor(
    private readonly redis: Redis,
    namespace: string,
  ) {
    this.key = `${namespace}:events`;
    this.deadLetterKey = `${namespace}:dead-letter`;
    this.countKey = `${namespace}:events:counts`;
    this.appendedKey = `${namespace}:events:appended`;
    this.deadLetters = new DeadLetterStream(redis, this.deadLetterKey, this.key);
  }

  /**
   * A stream on a connection of its own, which close() ends. `patient` (the worker, tooling) waits for
   * Redis when it is away; `fail-fast` (request paths) fails at once so the caller can answer 503.
   */
  static async open(url: string, namespace: string, mode: 'patient' | 'fail-fast', log?: Logger): Promise<EventStream> {
    const redis = mode === 'patient' ? connectPatient(url) : connectFailFast(url);
    if (log) reportOutages(redis, log);
    await connectOrIgnore(redis);
    const stream = new EventStream(redis, namespace);
    stream.owned = true;
    return stream;
  }

  /** Appends all events or none, as one entry, and resolves only once Redis has them. */
  async append(events: LogEvent[]): Promise<void> {
    return this.appendEncoded(events.map((e) => JSON.stringify(e)));
  }

  /**
   * One stream entry for the whole batch, written by a script (atomic: all or none): one command
   * whatever the batch holds, where an entry per event cost the server most of its time in the client.
   */
  async appendEncoded(events: readonly string[]): Promise<void> {
    if (!events.length) return;
    try {
      await this.redis.eval(APPEND_BATCH, 3, this.key, this.countKey, this.appendedKey, ...batchArgs(events));
    } catch (err) {
      throw new LogFlowError('QUEUE_UNAVAILABLE', `Redis did not take the events: ${(err as Error)?.message ?? err}`, { transient: true, cause: err, retryAfterSeconds: 2 });
    }
  }

  /**
   * Events not yet trimmed, every group's unsettled work among them (see trim()). Counted exactly from
   * the count index: the events of the batch entries it holds (the last one's running count less the
   * first one's, plus the first's own), and one for each entry that is not a batch (replays, and the
   * one-event entries of releases before batches).
   */
  async backlog(): Promise<number> {
    const replies = failOn(
      await this.redis.pipeline().xlen(this.key).xlen(this.countKey).xrange(this.countKey, '-', '+', 'COUNT', 1).xrevrange(this.countKey, '+', '-', 'COUNT', 1).exec(),
    ).map(([, value]) => value);
    const [entries, batches] = replies as [number, number];
    // An index out of step with its stream (the stream deleted alone, until the next append): entries.
    if (batches > entries) return entries;
    const first = (replies[2] as [string, string[]][])[0];
    const last = (replies[3] as [string, string[]][])[0];
    const inBatches = first && last ? indexCounts(last[1]).c - indexCounts(first[1]).c + indexCounts(first[1]).n : 0;
    return Math.max(0, entries - batches) + inBatches;
  }

  /** Creates the group at the start of the stream when missing, so it sees everything still kept. */
  async ensureGroup(group: string): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.key, group, '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
  }

  /** A consumer with a connection of its own for blocking reads, which its close() cuts. */
  consumer(group: string, name: string): GroupConsumer {
    const blocking = this.redis.duplicate();
    blocking.on('error', () => {}); // reconnects on its own; commands report the outage
    const c = new StreamConsumer(this.redis, blocking, this.key, group, name, this.deadLetters, () => this.closables.delete(c));
    this.closables.add(c);
    return c;
  }

  /** A reader outside any group (live tail), with a connection of its own for blocking reads. */
  follower(): QueueFollower {
    const blocking = this.redis.duplicate();
    blocking.on('error', () => {});
    const f = new StreamFollower(this.redis, blocking, this.key, () => this.closables.delete(f));
    this.closables.add(f);
    return f;
  }

  /**
   * The lowest entry some group still needs: its oldest pending entry, or, when it has none, whatever
   * comes after the last one delivered to it (everything up to there is done). Undefined when there are no groups: with nobody
   * reading yet, nothing may go. Redis 7.0 trims pending entries as readily as acknowledged ones, so
   * this is computed from the groups, never guessed from a length.
   */
  async trimPoint(): Promise<string | undefined> {
    const groups = (await this.redis.call('XINFO', 'GROUPS', this.key).catch(noStream)) as unknown[][];
    if (!groups.length) return undefined;
    const needed: string[] = [];
    for (const g of groups) {
      const info = toRecord(g);
      const name = String(info.name);
      if (Number(info.pending) > 0) {
        const summary = (await this.redis.call('XPENDING', this.key, name)) as [number, string | null, string | null, unknown];
        needed.push(summary[1] ?? String(info['last-delivered-id']));
      } else {
        // Everything up to and including the last entry delivered to it is settled.
        needed.push(successor(String(info['last-delivered-id'])));
      }
    }
    return minStreamId(needed);
  }

  /** Drops entries every group has finished with; returns how many went. */
  async trim(): Promise<number> {
    const point = await this.trimPoint();
    if (!point || point === '0-0') return 0;
    const [[, removed] = [null, 0]] = failOn(await this.redis.pipeline().call('XTRIM', this.key, 'MINID', point).call('XTRIM', this.countKey, 'MINID', point).exec());
    return Number(removed);
  }

  async groups(): Promise<GroupState[]> {
    const groups = (await this.redis.call('XINFO', 'GROUPS', this.key).catch(noStream)) as unknown[][];
    return Promise.all(
      groups.map(async (g) => {
        const info = toRecord(g);
        const name = String(info.name);
        const pending = Number(info.pending);
        const lagEntries = info.lag === null || info.lag === undefined ? null : Number(info.lag);
        const lastDelivered = String(info['last-delivered-id']);
        const [lag, oldestUnsettledMs] = await Promise.all([this.eventsAfter(lastDelivered, lagEntries), this.oldestUnsettled(name, pending, lastDelivered)]);
        return { name, pending, lag, oldestUnsettledMs };
      }),
    );
  }

  /**
   * The events in the entries after `lastDelivered` (XINFO's lag counts those entries), from the count
   * index; the entry count itself while the stream holds entries the index does not (one-event
   * entries of earlier releases, replays).
   */
  private async eventsAfter(lastDelivered: string, lagEntries: number | null): Promise<number | null> {
    if (!lagEntries) return lagEntries;
    const replies = failOn(
      await this.redis.pipeline().xlen(this.countKey).xlen(this.key).xrange(this.countKey, '-', '+', 'COUNT', 1).xrevrange(this.countKey, '+', '-', 'COUNT', 1).xrevrange(this.countKey, lastDelivered, '-', 'COUNT', 1).exec(),
    ).map(([, value]) => value);
    const [indexed, entries] = replies as [number, number];
    const [first] = replies[2] as [string, string[]][];
    const [last] = replies[3] as [string, string[]][];
    const [upTo] = replies[4] as [string, string[]][];
    if (indexed !== entries || !first || !last) return lagEntries;
    const before = upTo ? indexCounts(upTo[1]).c : indexCounts(first[1]).c - indexCounts(first[1]).n;
    return indexCounts(last[1]).c - before;
  }

  /** An entry's id is the time it was appended: the group's oldest pending entry, else the first it has not received. */
  private async oldestUnsettled(group: string, pending: number, lastDelivered: string): Promise<number | null> {
    if (pending > 0) {
      const summary = (await this.redis.call('XPENDING', this.key, group)) as [number, string | null, ...unknown[]];
      if (summary[1]) return Number(parseStreamId(summary[1])[0]);
    }
    // The count index has the same IDs, without a batch's events to send: read it when it holds every entry.
    const [indexed, entries] = await Promise.all([this.redis.xlen(this.countKey), this.redis.xlen(this.key)]);
    const next = await this.redis.xrange(indexed === entries ? this.countKey : this.key, `(${lastDelivered}`, '+', 'COUNT', 1);
    return next[0] ? Number(parseStreamId(next[0][0])[0]) : null;
  }

  async check(): Promise<void> {
    await this.redis.ping();
  }

  durabilityRisk(): Promise<string | undefined> {
    return readDurabilityRisk(this.redis);
  }

  /** Deletes the stream and its dead letters (tests). */
  async destroy(): Promise<void> {
    await this.redis.del(this.key, this.deadLetterKey, this.countKey, this.appendedKey);
  }

  /** Ends the consumers' and followers' connections, and the stream's own when open() made it. Safe twice. */
  close(): void {
    for (const c of [...this.closables]) c.close();
    if (this.owned) this.redis.disconnect();
  }
}

function toRecord(flat: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
}

function noStream(err: unknown): unknown[] {
  if (String((err as Error).message).includes('no such key')) return [];
  throw err;
}

/** A pipeline's replies, or the first error in it. */
function failOn(results: [Error | null, unknown][] | null): [Error | null, unknown][] {
  const failed = results?.find(([err]) => err);
  if (!results || failed) throw failed?.[0] ?? new Error('pipeline aborted');
  return results;
}
