import type { ChainableCommander, Redis } from 'ioredis';
import type { LogEvent } from '../../shared/event.ts';
import { deliveryText, entryFields } from './entry.ts';
import type { DeadLetterFilter, DeadLetterRecord, DeadLetters, Refusal } from './queue.ts';
import { execAll } from './redis.ts';

// Letters are read and moved in pages: a dead-letter stream can hold millions after a bad deploy,
// and neither Redis nor this process should have them all at once.
const PAGE = 500;

/**
 * The dead letters on Redis: one stream `<namespace>:dead-letter`, one entry per refused event with
 * the sink that refused it, the reason, when, and the event as the store was given it.
 */
export class DeadLetterStream implements DeadLetters {
  constructor(
    private readonly redis: Redis,
    readonly key: string,
    private readonly eventsKey: string,
  ) {}

  /** Adds a letter to a transaction that also acknowledges it, so both happen or neither does. */
  add(tx: ChainableCommander, sink: string, { delivery, reason }: Refusal): void {
    tx.xadd(this.key, '*', 'sink', sink, 'reason', reason, 'entry_id', delivery.ref, 'event', deliveryText(delivery), 'failed_at', new Date().toISOString());
  }

  async list(filter: DeadLetterFilter & { limit: number }): Promise<{ letters: DeadLetterRecord[]; total: number }> {
    const letters: DeadLetterRecord[] = [];
    let total = 0;
    await this.scan(filter, async (page) => {
      total += page.length;
      letters.push(...page.slice(0, Math.max(0, filter.limit - letters.length)));
    });
    return { letters, total };
  }

  async replay(filter: DeadLetterFilter): Promise<{ replayed: number; unreadable: number }> {
    let replayed = 0;
    let unreadable = 0;
    await this.scan(filter, async (page) => {
      const tx = this.redis.multi();
      let moved = 0;
      for (const letter of page) {
        if (!letter.event) {
          unreadable++;
          continue;
        }
        // Back into the stream for this sink's group only: the other stores already have the event.
        tx.xadd(this.eventsKey, '*', ...entryFields(letter.raw, letter.sink));
        tx.xdel(this.key, letter.id);
        moved++;
      }
      if (!moved) return;
      await execAll(tx, 'replay the dead letters');
      replayed += moved;
    });
    return { replayed, unreadable };
  }

  async drop(filter: DeadLetterFilter): Promise<number> {
    let dropped = 0;
    await this.scan(filter, async (page) => {
      if (!page.length) return;
      dropped += Number(await this.redis.xdel(this.key, ...page.map((l) => l.id)));
    });
    return dropped;
  }

  /** Calls `each` with the matching letters, oldest first, a page at a time. */
  private async scan(filter: DeadLetterFilter, each: (page: DeadLetterRecord[]) => Promise<void>): Promise<void> {
    if (filter.id !== undefined) {
      const found = (await this.redis.xrange(this.key, filter.id, filter.id)).map(toRecord).filter((l) => matches(l, filter));
      return each(found);
    }
    // Up to the newest letter there now: a replayed event refused again comes back as a new letter,
    // and must not be replayed again by the same command.
    const newest = (await this.redis.xrevrange(this.key, '+', '-', 'COUNT', 1))[0]?.[0];
    if (!newest) return;
    let start = '-';
    for (;;) {
      const entries = await this.redis.xrange(this.key, start, newest, 'COUNT', PAGE);
      if (!entries.length) return;
      await each(entries.map(toRecord).filter((l) => matches(l, filter)));
      if (entries.length < PAGE) return;
      start = `(${entries[entries.length - 1]![0]}`;
    }
  }
}

function matches(letter: DeadLetterRecord, filter: DeadLetterFilter): boolean {
  return filter.sink === undefined || letter.sink === filter.sink;
}

function toRecord([id, fields]: [string, string[]]): DeadLetterRecord {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
  const raw = f.event ?? '';
  return { id, sink: f.sink ?? '', reason: f.reason ?? '', failedAt: f.failed_at ?? '', raw, event: parseEvent(raw) };
}

function parseEvent(raw: string): LogEvent | undefined {
  try {
    const v: unknown = JSON.parse(raw);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as LogEvent) : undefined;
  } catch {
    return undefined;
  }
}
