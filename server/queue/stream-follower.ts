import type { Redis } from 'ioredis';
import { decodeEntry, type RawEntry } from './entry.ts';
import type { Delivery, QueueFollower } from './queue.ts';
import { compareStreamIds } from './stream-id.ts';

/**
 * Live tail's reads on the Redis stream: XREAD and XRANGE, outside any group. The blocking read has a
 * connection of its own, which close() cuts.
 */
export class StreamFollower implements QueueFollower {
  private closed = false;

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
  // because of them: the caller goes on from the last position it was given.
  async readAfter(afterId: string, count: number, blockMs: number): Promise<Delivery[]> {
    for (let after = afterId; ; ) {
      const reply = (await this.blocking.call('XREAD', 'COUNT', count, 'BLOCK', blockMs, 'STREAMS', this.key, after)) as [string, RawEntry[]][] | null;
      const entries = reply?.[0]?.[1] ?? [];
      const out = passing(entries);
      if (out.length || !entries.length) return out;
      after = entries[entries.length - 1]![0];
    }
  }

  async rangeAfter(afterId: string, toId: string, count: number): Promise<Delivery[]> {
    for (let after = afterId; ; ) {
      const entries = (await this.redis.call('XRANGE', this.key, `(${after}`, toId, 'COUNT', count)) as RawEntry[];
      const out = passing(entries);
      if (out.length || entries.length < count) return out;
      after = entries[entries.length - 1]![0];
    }
  }

  compare(a: string, b: string): number {
    return compareStreamIds(a, b);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.blocking.disconnect();
    this.onClose();
  }
}

/** What passes through the stream: a replay for one store only is the same event again, not news. */
function passing(entries: RawEntry[]): Delivery[] {
  const out: Delivery[] = [];
  for (const raw of entries) {
    const { delivery, only } = decodeEntry(raw);
    if (only === undefined) out.push(delivery);
  }
  return out;
}
