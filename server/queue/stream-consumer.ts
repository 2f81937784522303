import type { Redis } from 'ioredis';
import type { DeadLetterStream } from './dead-letters.ts';
import { decodeEntry, type RawEntry } from './entry.ts';
import { OpenEntries } from './open-entries.ts';
import type { Delivery, GroupConsumer, Refusal } from './queue.ts';
import { execAll } from './redis.ts';
import { entryOf } from './stream-id.ts';

/**
 * One consumer of one group on the Redis stream. The blocking read has a connection of its own, so
 * close() can cut it and the loop waiting on it ends at once; everything else shares the stream's.
 *
 * An entry holds a batch of events, and the group's pending list counts entries: an entry read is
 * this consumer's until all its events are settled (OpenEntries). Events of an entry read beyond the
 * `count` asked for wait in `ready` for the next call.
 */
export class StreamConsumer implements GroupConsumer {
  private closed = false;
  private readonly entries = new OpenEntries();
  private ready: Delivery[] = [];
  /** Events per entry in the last read, to ask Redis for about `count` events rather than entries. */
  private perEntry = 0;

  constructor(
    private readonly redis: Redis,
    private readonly blocking: Redis,
    private readonly key: string,
    readonly group: string,
    readonly name: string,
    private readonly deadLetters: DeadLetterStream,
    private readonly onClose: () => void,
  ) {}

  /** Pages through this consumer's pending entries from the start, skipping what it settled already. */
  async unsettled(count: number): Promise<Delivery[]> {
    // Every event waiting in `ready` is in a pending entry, so this finds it again.
    this.ready = [];
    const out: Delivery[] = [];
    for (let after = '0'; out.length < count; ) {
      const reply = (await this.blocking.call('XREADGROUP', 'GROUP', this.group, this.name, 'COUNT', this.entriesFor(count - out.length), 'STREAMS', this.key, after)) as [string, RawEntry[]][] | null;
      const raws = reply?.[0]?.[1] ?? [];
      if (!raws.length) break;
      pushAll(out, await this.mine(raws));
      after = raws[raws.length - 1]![0];
    }
    return out.slice(0, count);
  }

  /** Waits (up to blockMs) only while it has nothing; then reads on, without waiting, up to `count` events. */
  async next(count: number, blockMs: number): Promise<Delivery[]> {
    const out = this.ready;
    this.ready = [];
    while (out.length < count) {
      const args: (string | number)[] = ['GROUP', this.group, this.name, 'COUNT', this.entriesFor(count - out.length)];
      if (blockMs > 0 && !out.length) args.push('BLOCK', blockMs);
      args.push('STREAMS', this.key, '>');
      const reply = (await this.blocking.call('XREADGROUP', ...args)) as [string, RawEntry[]][] | null;
      const raws = reply?.[0]?.[1] ?? [];
      if (!raws.length) break;
      // A reply made only of entries meant for other groups is no answer yet: read on.
      pushAll(out, await this.mine(raws));
    }
    return this.handOut(out, count);
  }

  async takeOver(minIdleMs: number, count: number): Promise<Delivery[]> {
    const out: Delivery[] = [];
    let cursor = '0-0';
    do {
      const reply = (await this.redis.call('XAUTOCLAIM', this.key, this.group, this.name, minIdleMs, cursor, 'COUNT', this.entriesFor(count - out.length))) as [string, RawEntry[], string[]?];
      cursor = reply[0];
      // Entries deleted meanwhile come back without fields (Redis 7 drops them from the pending list).
      pushAll(out, await this.mine(reply[1].filter((e) => e[1] !== null)));
    } while (cursor !== '0-0' && out.length < count);
    return this.handOut(out, count);
  }

  async renew(deliveries: readonly Delivery[]): Promise<void> {
    const ids = entryIds(deliveries);
    if (ids.length) await this.redis.call('XCLAIM', this.key, this.group, this.name, 0, ...ids, 'JUSTID');
  }

  /**
   * Acknowledges the entries these deliveries complete, with the dead letters of all their refused
   * events, in one MULTI: a crash between them cannot keep a letter twice. Settling part of an entry
   * costs Redis nothing until the rest is settled too.
   */
  async settle(done: readonly Delivery[], refused: readonly Refusal[]): Promise<void> {
    const { entries, refusals } = this.entries.settle(done, refused);
    if (!entries.length) return;
    const tx = this.redis.multi();
    for (const r of refusals) this.deadLetters.add(tx, this.group, r);
    tx.xack(this.key, this.group, ...entries);
    await execAll(tx, 'settle the entries');
    this.entries.forget(entries);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.blocking.disconnect();
    this.onClose();
  }

  /** About how many entries hold `count` events, by the last read; one at first, so a read never takes a large backlog at once. */
  private entriesFor(count: number): number {
    if (this.perEntry === 0) return 1;
    return Math.max(1, Math.floor(count / this.perEntry));
  }

  /** `count` of these now; the rest wait in `ready` (their entries stay this consumer's). */
  private handOut(deliveries: Delivery[], count: number): Delivery[] {
    if (deliveries.length <= count) return deliveries;
    pushAll(this.ready, deliveries.slice(count));
    return deliveries.slice(0, count);
  }

  /** The unsettled deliveries of these entries for this group; entries replayed for another group only are acknowledged at once. */
  private async mine(raws: RawEntry[]): Promise<Delivery[]> {
    const out: Delivery[] = [];
    const foreign: string[] = [];
    let events = 0;
    for (const raw of raws) {
      const entry = decodeEntry(raw);
      events += entry.deliveries.length;
      if (entry.only !== undefined && entry.only !== this.group) foreign.push(entry.id);
      else pushAll(out, this.entries.hold(entry));
    }
    if (raws.length) this.perEntry = events / raws.length;
    if (foreign.length) await this.redis.xack(this.key, this.group, ...foreign);
    return out;
  }
}

function entryIds(deliveries: readonly Delivery[]): string[] {
  return [...new Set(deliveries.map((d) => entryOf(d.ref)))];
}

// A batch can hold more events than a spread call takes arguments.
function pushAll<T>(to: T[], items: readonly T[]): void {
  for (const item of items) to.push(item);
}
