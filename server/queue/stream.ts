import type { Redis } from 'ioredis';
import type { LogEvent } from '../../shared/event.ts';
import { LogFlowError } from '../../shared/errors.ts';
import { minStreamId } from './stream-id.ts';

/** One stream entry as a worker sees it: the event, or why it could not be read. */
export interface Entry {
  id: string;
  raw: string;
  event?: LogEvent;
  error?: string;
}

export interface DeadLetter {
  entry: Entry;
  reason: string;
}

type RawEntry = [id: string, fields: string[] | null];

/**
 * The durable buffer between ingest and the stores: one Redis stream of events, one consumer group per
 * sink, and a dead-letter stream for events a store will never take. Keys live under a namespace.
 */
export class EventStream {
  readonly key: string;
  readonly deadLetterKey: string;

  constructor(
    private readonly redis: Redis,
    namespace: string,
  ) {
    this.key = `${namespace}:events`;
    this.deadLetterKey = `${namespace}:dead-letter`;
  }

  /** Appends all events or none (MULTI), and resolves only once Redis has them. */
  async append(events: LogEvent[]): Promise<void> {
    return this.appendEncoded(events.map((e) => JSON.stringify(e)));
  }

  /** append() for events already written as JSON text (shared/normalize/encode.ts does it by hand, for less than JSON.stringify costs). */
  async appendEncoded(entries: string[]): Promise<void> {
    const tx = this.redis.multi();
    for (const e of entries) tx.xadd(this.key, '*', 'e', e);
    let results: [Error | null, unknown][] | null;
    try {
      results = await tx.exec();
    } catch (err) {
      throw unavailable(err);
    }
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw unavailable(failed?.[0] ?? new Error('transaction aborted'));
  }

  /** Entries not yet trimmed: every group's unacknowledged work is among them (see trim()). */
  async length(): Promise<number> {
    return this.redis.xlen(this.key);
  }

  /** Creates the group at the start of the stream when missing, so it sees everything still kept. */
  async ensureGroup(group: string): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.key, group, '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
  }

  /**
   * Reads for a consumer: id '>' for new entries (blocking up to blockMs), '0' for the entries already
   * delivered to this consumer and not acknowledged. Pass a dedicated connection for blocking reads.
   */
  async read(conn: Redis, group: string, consumer: string, count: number, id: '>' | '0', blockMs = 0): Promise<Entry[]> {
    const args: (string | number)[] = ['GROUP', group, consumer, 'COUNT', count];
    if (id === '>' && blockMs > 0) args.push('BLOCK', blockMs);
    args.push('STREAMS', this.key, id);
    const reply = (await conn.call('XREADGROUP', ...args)) as [string, RawEntry[]][] | null;
    return reply?.[0] ? reply[0][1].map(decode) : [];
  }

  /**
   * Live tail's read: entries after `afterId`, outside any group, so following the stream acknowledges
   * nothing and holds no trimming back. Blocks up to blockMs on `conn` (a connection of its own).
   */
  async readAfter(conn: Redis, afterId: string, count: number, blockMs: number): Promise<Entry[]> {
    const reply = (await conn.call('XREAD', 'COUNT', count, 'BLOCK', blockMs, 'STREAMS', this.key, afterId)) as [string, RawEntry[]][] | null;
    return reply?.[0] ? reply[0][1].map(decode) : [];
  }

  /** Entries after `afterId` up to and including `toId`, oldest first, at most `count` (a tail catching up). */
  async rangeAfter(afterId: string, toId: string, count: number): Promise<Entry[]> {
    const reply = (await this.redis.call('XRANGE', this.key, `(${afterId}`, toId, 'COUNT', count)) as RawEntry[];
    return reply.map(decode);
  }

  /**
   * The newest entry id ever added, and the oldest one still kept: a reader whose last entry is older
   * than that may have missed entries that trimming removed. '0-0' for both while there is no stream.
   */
  async positions(): Promise<{ lastId: string; firstId: string }> {
    const info = (await this.redis.call('XINFO', 'STREAM', this.key).catch(noStream)) as unknown[];
    if (!info.length) return { lastId: '0-0', firstId: '0-0' };
    const r = toRecord(info);
    const first = Array.isArray(r['first-entry']) ? String(r['first-entry'][0]) : String(r['last-generated-id'] ?? '0-0');
    return { lastId: String(r['last-generated-id'] ?? '0-0'), firstId: first };
  }

  /** Takes over entries another consumer left pending for longer than minIdleMs (it died or hangs). */
  async claimStale(group: string, consumer: string, minIdleMs: number, count: number): Promise<Entry[]> {
    const out: Entry[] = [];
    let cursor = '0-0';
    do {
      const reply = (await this.redis.call('XAUTOCLAIM', this.key, group, consumer, minIdleMs, cursor, 'COUNT', count)) as [string, RawEntry[], string[]?];
      cursor = reply[0];
      out.push(...reply[1].filter((e) => e[1] !== null).map(decode));
    } while (cursor !== '0-0' && out.length < count);
    return out;
  }

  /** Resets the idle time of entries this consumer still works on, so nobody claims them meanwhile. */
  async keepClaimed(group: string, consumer: string, ids: string[]): Promise<void> {
    if (ids.length) await this.redis.call('XCLAIM', this.key, group, consumer, 0, ...ids, 'JUSTID');
  }

  async ack(group: string, ids: string[]): Promise<void> {
    if (ids.length) await this.redis.xack(this.key, group, ...ids);
  }

  /** Keeps events a store refused, with the reason, for a person to inspect and replay. */
  async deadLetter(sink: string, letters: DeadLetter[]): Promise<void> {
    if (!letters.length) return;
    const tx = this.redis.multi();
    for (const { entry, reason } of letters) {
      tx.xadd(this.deadLetterKey, '*', 'sink', sink, 'reason', reason, 'entry_id', entry.id, 'event', entry.raw, 'failed_at', new Date().toISOString());
    }
    const results = await tx.exec();
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw unavailable(failed?.[0] ?? new Error('transaction aborted'));
  }

  /**
   * The lowest entry some group still needs: its oldest pending entry, or, when it has none, the last
   * one delivered to it (everything before is done). Undefined when there are no groups: with nobody
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
        needed.push(String(info['last-delivered-id']));
      }
    }
    return minStreamId(needed);
  }

  /** Drops entries every group has finished with; returns how many went. */
  async trim(): Promise<number> {
    const point = await this.trimPoint();
    if (!point || point === '0-0') return 0;
    return Number(await this.redis.call('XTRIM', this.key, 'MINID', point));
  }

  async groups(): Promise<{ name: string; pending: number; lag: number | null }[]> {
    const groups = (await this.redis.call('XINFO', 'GROUPS', this.key).catch(noStream)) as unknown[][];
    return groups.map((g) => {
      const info = toRecord(g);
      return { name: String(info.name), pending: Number(info.pending), lag: info.lag === null || info.lag === undefined ? null : Number(info.lag) };
    });
  }

  /** Deletes the stream and its dead letters (tests, and `logflow` tooling later). */
  async destroy(): Promise<void> {
    await this.redis.del(this.key, this.deadLetterKey);
  }
}

function decode([id, fields]: RawEntry): Entry {
  const raw = fields?.[1] ?? '';
  if (!fields || fields[0] !== 'e') return { id, raw, error: 'stream entry has no event field' };
  try {
    return { id, raw, event: JSON.parse(raw) as LogEvent };
  } catch {
    return { id, raw, error: 'stream entry is not valid JSON' };
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

function unavailable(err: unknown): LogFlowError {
  return new LogFlowError('QUEUE_UNAVAILABLE', `Redis did not take the events: ${(err as Error)?.message ?? err}`, { transient: true, cause: err, retryAfterSeconds: 2 });
}
