import type { Logger } from '../../shared/logger.ts';
import type { Delivery, OutgoingBatch } from './delivery/delivery.ts';
import { EventEncoder, type ShipContext } from './transforms/event-encoder.ts';
import { MultilineJoiner, type JoinedEvent, type MultilineOptions } from './transforms/multiline.ts';
import { parseLine, type LineFormat } from '../../shared/parse/line.ts';
import type { Level } from '../../shared/levels.ts';

export interface ShipperOptions {
  delivery: Delivery;
  log: Logger;
  context: ShipContext;
  format: LineFormat;
  multiline: Omit<MultilineOptions, 'startOffset'>;
  batchSize: number;
  batchBytes: number;
  flushIntervalMs: number;
}

export interface ShipperStats {
  lines: number;
  events: number;
}

/** A batch being filled, with how far into each source its events reach. */
interface OpenBatch {
  ndjson: NdjsonWriter;
  count: number;
  /** UTF-16 units plus one per newline: what --batch-bytes and --memory-limit count. */
  bytes: number;
  reach: Map<Lane, number>;
  openedAt: number;
}

/**
 * The middle of the agent: sources push lines into lanes (one per file, or stdin); each lane joins
 * multiline events and parses them; events are gathered into batches by count, bytes and time and
 * handed to Delivery. A lane learns when its lines are safe (accepted, or on disk in the spool), in
 * source order, and only then moves its checkpoint.
 */
export class Shipper {
  readonly stats: ShipperStats = { lines: 0, events: 0 };
  private batch: OpenBatch = newBatch();
  private readonly sealed: OutgoingBatch[] = [];
  private handing?: Promise<void>;
  private readonly lanes = new Set<Lane>();
  private readonly encoder: EventEncoder;

  constructor(readonly o: ShipperOptions) {
    this.encoder = new EventEncoder(o.context);
  }

  /** A lane for one source: `key` prefixes its event ids; `committed` is told how far it is safe. */
  lane(key: string, startOffset: number, committed: (offset: number) => void): Lane {
    const lane = new Lane(this, key, startOffset, committed);
    this.lanes.add(lane);
    return lane;
  }

  /** @internal A lane's complete event. */
  add(lane: Lane, joined: JoinedEvent): void {
    const parsed = parseLine(joined.text, this.o.format);
    // A part of a trace longer than --max-event-bytes carries the level and time of its first part, so
    // that searching for the error finds every part, in order.
    if (joined.continued) {
      parsed.level = lane.lastLevel;
      parsed.timestamp = lane.lastTime ?? parsed.timestamp;
    }
    lane.lastLevel = parsed.level;
    lane.lastTime = parsed.timestamp;
    const line = this.encoder.encode(parsed, lane.idPrefix, joined.start, joined.truncated ? joined.lines : undefined);
    const b = this.batch;
    b.ndjson.push(line);
    b.count++;
    b.bytes += line.length + 1;
    b.reach.set(lane, joined.end);
    this.stats.events++;
    if (b.count >= this.o.batchSize || b.bytes >= this.o.batchBytes) this.seal();
  }

  /** Timer work: multiline events idle long enough, a batch old enough, lanes with nothing in flight. */
  tick(now = Date.now()): void {
    for (const lane of this.lanes) lane.flushIdle(now);
    if (this.batch.count && now - this.batch.openedAt >= this.o.flushIntervalMs) this.seal();
    for (const lane of this.lanes) lane.settleIdle();
  }

  /** Resolves once sealed batches are with Delivery: a source awaits it between reads (backpressure). */
  async settle(): Promise<void> {
    while (this.handing) await this.handing;
  }

  /** Closes every open event and batch (EOF, shutdown). */
  async finish(): Promise<void> {
    for (const lane of this.lanes) lane.finish();
    this.seal();
    await this.settle();
  }

  /** @internal */
  remove(lane: Lane): void {
    this.lanes.delete(lane);
  }

  private seal(): void {
    const b = this.batch;
    if (!b.count) return;
    this.batch = newBatch();
    const marks = [...b.reach].map(([lane, end]) => lane.mark(end));
    this.sealed.push({ ndjson: b.ndjson.finish(), count: b.count, bytes: b.bytes, receipt: { secured: () => marks.forEach((m) => m.secure()) } });
    this.handing ??= this.handOver();
  }

  private async handOver(): Promise<void> {
    try {
      for (let next = this.sealed.shift(); next; next = this.sealed.shift()) await this.o.delivery.enqueue(next);
    } finally {
      this.handing = undefined;
    }
  }
}

function newBatch(): OpenBatch {
  return { ndjson: new NdjsonWriter(), count: 0, bytes: 0, reach: new Map(), openedAt: Date.now() };
}

/**
 * Buffer#write without its argument checks: the method it calls itself, on every Node since 0.x. On
 * this path, where it runs per event, the checks cost a tenth of the write.
 */
type Utf8Writable = Buffer & { utf8Write(text: string, offset: number, length: number): number };

/**
 * A batch's body, written as UTF-8 line by line as events come: each event's string is garbage at
 * once (young, cheap to collect) instead of waiting in an array to be joined and encoded at the end.
 */
class NdjsonWriter {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private length = 0;

  push(line: string): void {
    const most = 3 * line.length + 1; // UTF-8 takes at most 3 bytes per UTF-16 unit
    if (this.length + most > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.length + most, 2 * this.buf.length));
      this.buf.copy(bigger, 0, 0, this.length);
      this.buf = bigger;
    }
    this.length += (this.buf as Utf8Writable).utf8Write(line, this.length, this.buf.length - this.length);
    this.buf[this.length++] = 10;
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

/** One source's way through the shipper, and the bookkeeping of how far it is safe. */
export class Lane {
  private readonly joiner: MultilineJoiner;
  private readonly marks: { end: number; secured: boolean; secure: () => void }[] = [];
  private committedTo: number;
  private inBatch = false;
  /** @internal What every event id of this source starts with, as JSON. */
  readonly idPrefix: string;
  /** @internal The level and time of this source's last event, for the parts that continue it. */
  lastLevel: Level = 'INFO';
  lastTime: string | undefined;

  constructor(
    private readonly shipper: Shipper,
    readonly key: string,
    startOffset: number,
    private readonly committed: (offset: number) => void,
  ) {
    this.joiner = new MultilineJoiner({ ...shipper.o.multiline, startOffset });
    this.idPrefix = EventEncoder.idPrefix(key);
    this.committedTo = startOffset;
  }

  push(text: string, start: number, end: number, now: number): void {
    this.shipper.stats.lines++;
    for (const e of this.joiner.push(text, start, end, now)) this.emit(e);
  }

  flushIdle(now: number): void {
    for (const e of this.joiner.flushIdle(now)) this.emit(e);
  }

  finish(): void {
    for (const e of this.joiner.flush()) this.emit(e);
  }

  close(): void {
    this.finish();
    this.shipper.remove(this);
  }

  /** @internal Called when a batch holding this lane's events up to `end` is sealed. */
  mark(end: number) {
    this.inBatch = false;
    const m = { end, secured: false, secure: () => ((m.secured = true), this.advance()) };
    this.marks.push(m);
    return m;
  }

  /** Lines that made no event (blank lines) are safe as soon as nothing before them waits. */
  settleIdle(): void {
    if (!this.marks.length && !this.inBatch) this.moveTo(this.joiner.committedOffset);
  }

  private emit(e: JoinedEvent): void {
    this.inBatch = true;
    this.shipper.add(this, e);
  }

  private advance(): void {
    let to: number | undefined;
    while (this.marks[0]?.secured) to = this.marks.shift()!.end;
    if (to !== undefined) this.moveTo(to);
  }

  private moveTo(offset: number): void {
    if (offset <= this.committedTo) return;
    this.committedTo = offset;
    this.committed(offset);
  }
}
