import type { Redis } from 'ioredis';
import { decodeEntry, type RawEntry } from './entry.ts';
import type { Delivery, QueueFollower } from './queue.ts';
import { comparePositions, entryOf, indexOf } from './stream-id.ts';

/**
 * Live tail's reads on the Redis stream: XREAD and XRANGE, outside any group. The blocking read has a
 * connection of its own, which close() cuts.
 */
export class StreamFollower implements QueueFollower {
  private closed = false;
  /** Events per entry in the last read, to ask for about `count` events rather than entries. */
  private perEntry = 0;

  constructor(
    private readonly redis: Redis,
    private readonly blocking: Redis,
    private readonly key: string,
    private readonly onClose: () => void,
  ) {}

  async positions(): Promise<{ lastId: string; firstId: string }> {
    let flat: unknown[];
    try {
      flat = (await this.redis.call('XINFO', 'STREAM', this.key)) as unknown[];
    } catch (err) {
      if (String((err as Error).message).includes('no such key')) return { lastId: '0-0', firstId: '0-0' };
      throw err;
    }
    const info: Record<string, unknown> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) info[String(flat[i])] = flat[i + 1];
    const lastId = String(info['last-generated-id'] ?? '0-0');
    const first = info['first-entry'];
    return { lastId, firstId: Array.isArray(first) ? String(first[0]) : lastId };
  }

  // Both read on past entries that are not passed on (replays), so an answer is never empty only
  // because of them: the caller goes on from the last position it was given. A position inside an
  // entry (an event ref) reads the rest of that entry first.
  async readAfter(afterId: string, count: number, blockMs: number): Promise<Delivery[]> {
    const rest = await this.restOf(afterId, count);
    if (rest.length) return rest;
    for (let after = entryOf(afterId); ; ) {
      const reply = (await this.blocking.call('XREAD', 'COUNT', this.entriesFor(count), 'BLOCK', blockMs, 'STREAMS', this.key, after)) as [string, RawEntry[]][] | null;
      const entries = reply?.[0]?.[1] ?? [];
      const out = this.passing(entries);
      if (out.length || !entries.length) return out;
      after = entries[entries.length - 1]![0];
    }
  }

  async rangeAfter(afterId: string, toId: string, count: number): Promise<Delivery[]> {
    const within = (d: Delivery) => toId === '+' || comparePositions(d.ref, toId) <= 0;
    const out = (await this.restOf(afterId, count)).filter(within);
    const to = entryOf(toId);
    for (let after = entryOf(afterId); out.length < count; ) {
      const n = this.entriesFor(count - out.length);
      const entries = (await this.redis.call('XRANGE', this.key, `(${after}`, to, 'COUNT', n)) as RawEntry[];
      for (const d of this.passing(entries)) if (within(d)) out.push(d);
      if (entries.length < n) break;
      after = entries[entries.length - 1]![0];
    }
    return out.slice(0, count);
  }

  compare(a: string, b: string): number {
    return comparePositions(a, b);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.blocking.disconnect();
    this.onClose();
  }

  /** The events of the entry `afterId` is inside of that come after it; [] for an entry ID (through its end). */
  private async restOf(afterId: string, count: number): Promise<Delivery[]> {
    const index = indexOf(afterId);
    if (index === undefined) return [];
    const id = entryOf(afterId);
    const entries = (await this.redis.call('XRANGE', this.key, id, id)) as RawEntry[];
    return this.passing(entries)
      .filter((d) => comparePositions(d.ref, afterId) > 0)
      .slice(0, count);
  }

  /** About how many entries hold `count` events, by the last read. */
  private entriesFor(count: number): number {
    return this.perEntry === 0 ? 1 : Math.max(1, Math.floor(count / this.perEntry));
  }

  /** What passes through the stream: a replay for one store only is the same event again, not news. */
  private passing(entries: RawEntry[]): Delivery[] {
    const out: Delivery[] = [];
    let events = 0;
    for (const raw of entries) {
      const { deliveries, only } = decodeEntry(raw);
      events += deliveries.length;
      if (only === undefined) for (const d of deliveries) out.push(d);
    }
    if (entries.length) this.perEntry = events / entries.length;
    return out;
  }
}


