import type { Redis } from 'ioredis';
import type { DeadLetterStream } from './dead-letters.ts';
import { decodeEntry, type RawEntry } from './entry.ts';
import type { Delivery, GroupConsumer, Refusal } from './queue.ts';
import { execAll } from './redis.ts';

/**
 * One consumer of one group on the Redis stream. The blocking read has a connection of its own, so
 * close() can cut it and the loop waiting on it ends at once; everything else shares the stream's.
 */
export class StreamConsumer implements GroupConsumer {
  private closed = false;

  constructor(
    private readonly redis: Redis,
    private readonly blocking: Redis,
    private readonly key: string,
    readonly group: string,
    readonly name: string,
    private readonly deadLetters: DeadLetterStream,
    private readonly onClose: () => void,
  ) {}

  unsettled(count: number): Promise<Delivery[]> {
    return this.read('0', count, 0);
  }

  next(count: number, blockMs: number): Promise<Delivery[]> {
    return this.read('>', count, blockMs);
  }

  async takeOver(minIdleMs: number, count: number): Promise<Delivery[]> {
    const out: Delivery[] = [];
    let cursor = '0-0';
    do {
      const reply = (await this.redis.call('XAUTOCLAIM', this.key, this.group, this.name, minIdleMs, cursor, 'COUNT', count)) as [string, RawEntry[], string[]?];
      cursor = reply[0];
      // Entries deleted meanwhile come back without fields (Redis 7 drops them from the pending list).
      out.push(...(await this.mine(reply[1].filter((e) => e[1] !== null))));
    } while (cursor !== '0-0' && out.length < count);
    return out;
  }

  async renew(deliveries: readonly Delivery[]): Promise<void> {
    const ids = refs(deliveries);
    if (ids.length) await this.redis.call('XCLAIM', this.key, this.group, this.name, 0, ...ids, 'JUSTID');
  }

  /** The dead letters and the acknowledgement in one MULTI: a crash between them cannot keep a letter twice. */
  async settle(done: readonly Delivery[], refused: readonly Refusal[]): Promise<void> {
    const ids = [...refs(done), ...refs(refused.map((r) => r.delivery))];
    if (!ids.length) return;
    const tx = this.redis.multi();
    for (const r of refused) this.deadLetters.add(tx, this.group, r);
    tx.xack(this.key, this.group, ...ids);
    await execAll(tx, 'settle the entries');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.blocking.disconnect();
    this.onClose();
  }

  private async read(id: '0' | '>', count: number, blockMs: number): Promise<Delivery[]> {
    const args: (string | number)[] = ['GROUP', this.group, this.name, 'COUNT', count];
    if (id === '>' && blockMs > 0) args.push('BLOCK', blockMs);
    args.push('STREAMS', this.key, id);
    for (;;) {
      const reply = (await this.blocking.call('XREADGROUP', ...args)) as [string, RawEntry[]][] | null;
      const entries = reply?.[0]?.[1] ?? [];
      const mine = await this.mine(entries);
      // A reply made only of entries meant for other groups is no answer yet: read on.
      if (mine.length || !entries.length) return mine;
    }
  }

  /** The deliveries of these entries for this group; entries replayed for another group only are acknowledged at once. */
  private async mine(entries: RawEntry[]): Promise<Delivery[]> {
    const out: Delivery[] = [];
    const foreign: string[] = [];
    for (const raw of entries) {
      const { delivery, only } = decodeEntry(raw);
      if (only !== undefined && only !== this.group) foreign.push(delivery.ref);
      else out.push(delivery);
    }
    if (foreign.length) await this.redis.xack(this.key, this.group, ...foreign);
    return out;
  }
}

function refs(deliveries: readonly Delivery[]): string[] {
  return deliveries.map((d) => d.ref);
}
