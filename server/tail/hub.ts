import { backoffDelay, sleep } from '../../shared/backoff.ts';
import { errorMessage, LogFlowError } from '../../shared/errors.ts';
import type { LogEvent } from '../../shared/event.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Delivery, EventQueue, QueueFollower } from '../queue/queue.ts';

/** One reader of live tail: its project and query, and where its events go. */
export interface TailSubscriber {
  projectId: number;
  matches(event: LogEvent): boolean;
  /** The last entry this reader had (SSE Last-Event-ID), to go on after a reconnect; none: from now. */
  after?: string;
  /** Hands one matching event over, in stream order. */
  deliver(id: string, event: LogEvent): void;
  /** Events this reader will never get: how many (null when the count cannot be known), and why. */
  missed(count: number | null, reason: string): void;
}

/** A reconnect catches up on at most this many stream entries; further behind, it is told what it missed. */
export const MAX_CATCH_UP = 10_000;
const READ_COUNT = 500;
const BLOCK_MS = 1000;

interface Reader {
  sub: TailSubscriber;
  lastId: string;
  /** Live events that came while this reader caught up, delivered after. */
  queued?: Delivery[];
}

/**
 * Live tail for every reader of this server from one read of the stream: one blocking connection
 * however many follow, started with the first reader and stopped after the last. It reads outside
 * the consumer groups, so it acknowledges nothing and never holds trimming back: it costs the stores
 * nothing. Each entry goes to each reader whose project and query it matches, in stream order.
 */
export class TailHub {
  private readonly readers = new Set<Reader>();
  /** The follower reading now: one blocking read for every reader, closed with the last of them. */
  private follower?: QueueFollower;
  private running?: Promise<void>;
  private starting?: Promise<void>;
  private position = '0-0';
  private closed = false;

  constructor(
    private readonly queue: Pick<EventQueue, 'follower'>,
    private readonly log: Logger,
    /** Readers one project may have at once: each one matches every event of its project (Loki's max_concurrent_tail_requests). */
    private readonly maxPerProject = Infinity,
  ) {}

  /**
   * Starts following for `sub`: from the stream entry `from` on (or `sub.after`); stop() ends it.
   * Throws RATE_LIMITED (429) when its project has maxPerProject readers already.
   */
  async subscribe(sub: TailSubscriber): Promise<{ from: string; stop: () => void }> {
    if (this.closed) throw new Error('the tail hub is closed');
    if (!this.running) await (this.starting ??= this.start().finally(() => (this.starting = undefined)));
    // Counted after the await: from here to the add nothing yields, so two readers cannot both pass.
    let open = 0;
    for (const r of this.readers) if (r.sub.projectId === sub.projectId) open++;
    if (open >= this.maxPerProject) {
      throw new LogFlowError('RATE_LIMITED', `this project has ${open} live tails open on this server, the most it may (LOGFLOW_MAX_TAILS_PER_PROJECT): close one, or search instead`, {
        transient: true,
        retryAfterSeconds: 5,
      });
    }
    const reader: Reader = { sub, lastId: this.position };
    this.readers.add(reader);
    if (sub.after && this.follower!.compare(sub.after, this.position) < 0) {
      reader.queued = [];
      reader.lastId = sub.after;
      void this.catchUp(this.follower!, reader, sub.after, this.position);
    }
    const stop = () => {
      this.readers.delete(reader);
      if (!this.readers.size) this.stop();
    };
    return { from: reader.lastId, stop };
  }

  close(): void {
    this.closed = true;
    this.readers.clear();
    this.stop();
  }

  private async start(): Promise<void> {
    const follower = this.queue.follower();
    try {
      this.position = (await follower.positions()).lastId;
    } catch (err) {
      follower.close();
      throw new LogFlowError('QUEUE_UNAVAILABLE', `live tail cannot read the stream: Redis is unavailable (${errorMessage(err)})`, { transient: true, retryAfterSeconds: 2, cause: err });
    }
    this.follower = follower;
    this.running = this.loop(follower).finally(() => {
      if (this.follower === follower) {
        this.follower = undefined;
        this.running = undefined;
      }
    });
  }

  private stop(): void {
    this.follower?.close();
    this.follower = undefined;
    this.running = undefined;
  }

  private async loop(follower: QueueFollower): Promise<void> {
    let failures = 0;
    while (this.follower === follower) {
      let entries: Delivery[];
      try {
        entries = await follower.readAfter(this.position, READ_COUNT, BLOCK_MS);
        failures = 0;
      } catch (err) {
        if (this.follower !== follower) return;
        if (failures++ % 10 === 0) this.log.warn({ err: errorMessage(err) }, 'live tail cannot read the stream, retrying');
        await sleep(backoffDelay(failures, 200, 2000));
        continue;
      }
      for (const entry of entries) {
        this.position = entry.ref;
        for (const reader of this.readers) {
          if (reader.queued) reader.queued.push(entry);
          else this.offer(reader, entry, follower);
        }
      }
    }
  }

  private offer(reader: Reader, entry: Delivery, follower: QueueFollower): void {
    if (follower.compare(entry.ref, reader.lastId) <= 0) return;
    reader.lastId = entry.ref;
    const e = 'event' in entry ? entry.event : undefined;
    if (e && e.project_id === reader.sub.projectId && reader.sub.matches(e)) reader.sub.deliver(entry.ref, e);
  }

  /** What came after `after` up to where the live read was when this reader joined, then what queued meanwhile. */
  private async catchUp(follower: QueueFollower, reader: Reader, after: string, until: string): Promise<void> {
    try {
      const { firstId } = await follower.positions();
      if (follower.compare(firstId, after) > 0) {
        reader.sub.missed(null, `the stream was trimmed past entry ${after} before this reader came back: events before ${firstId} may be missing here (search for them)`);
      }
      let from = after;
      for (let seen = 0; follower.compare(from, until) < 0; ) {
        if (seen >= MAX_CATCH_UP) {
          reader.sub.missed(null, `more than ${MAX_CATCH_UP} events came since ${after}: following from now on (search for the rest)`);
          reader.lastId = until;
          break;
        }
        const page = await follower.rangeAfter(from, until, Math.min(READ_COUNT, MAX_CATCH_UP - seen));
        if (!page.length) break;
        for (const entry of page) this.offer(reader, entry, follower);
        seen += page.length;
        from = page[page.length - 1]!.ref;
      }
    } catch (err) {
      reader.sub.missed(null, `catching up after a reconnect failed (${errorMessage(err)}): following from now on`);
    }
    const queued = reader.queued ?? [];
    reader.queued = undefined;
    for (const entry of queued) this.offer(reader, entry, follower);
  }
}
