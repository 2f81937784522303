import type { Logger } from '../../shared/logger.ts';
import type { LineFormat } from '../../shared/parse/line.ts';
import type { Delivery, OutgoingBatch, Receipt } from './delivery/delivery.ts';
import { Lane, NO_PROGRESS, type EventSink, type LaneMark, type Progress } from './lane.ts';
import { EventEncoder, type ShipContext } from './transforms/event-encoder.ts';
import type { MultilineOptions } from './transforms/multiline.ts';

export type { Lane, Progress } from './lane.ts';

export interface ShipperOptions {
  delivery: Pick<Delivery, 'enqueue'>;
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
 * The acknowledgement of a sealed batch, from delivery back to the sources: once the server or the
 * spool holds the batch, each lane with events in it learns how far it is safe (Lane.secure), and a
 * file's lane moves its checkpoint (CheckpointProgress.committed).
 */
class BatchReceipt implements Receipt {
  constructor(private readonly marks: LaneMark[]) {}

  secured(): void {
    for (const m of this.marks) m.lane.secure(m);
  }
}

/**
 * The middle of the agent: sources push lines into lanes (one per file, or stdin), which join,
 * parse and encode them; their events are gathered here into batches by count, bytes and time and
 * handed to delivery, whose receipt tells the lanes once each batch is safe.
 */
export class Shipper implements EventSink {
  private batch: OpenBatch = newBatch();
  private readonly sealed: OutgoingBatch[] = [];
  private handing?: Promise<void>;
  private readonly lanes = new Set<Lane>();
  private readonly encoder: EventEncoder;
  private events = 0;
  /** Lines of lanes already closed. */
  private retiredLines = 0;

  constructor(private readonly o: ShipperOptions) {
    this.encoder = new EventEncoder(o.context);
  }

  get stats(): ShipperStats {
    let lines = this.retiredLines;
    for (const lane of this.lanes) lines += lane.lines;
    return { lines, events: this.events };
  }

  /** A lane for one source: `key` prefixes its event ids; `progress` is told how far it is safe. */
  lane(key: string, startOffset: number, progress: Progress = NO_PROGRESS): Lane {
    const lane = new Lane(this, { key, startOffset, progress, format: this.o.format, encoder: this.encoder, multiline: this.o.multiline });
    this.lanes.add(lane);
    return lane;
  }

  /** A lane's event, as a wire event's JSON, reaching `end` in its source. */
  add(lane: Lane, event: string, end: number): void {
    const b = this.batch;
    b.ndjson.push(event);
    b.count++;
    b.bytes += event.length + 1;
    b.reach.set(lane, end);
    this.events++;
    if (b.count >= this.o.batchSize || b.bytes >= this.o.batchBytes) this.seal();
  }

  retire(lane: Lane): void {
    if (this.lanes.delete(lane)) this.retiredLines += lane.lines;
  }

  /** Timer work: multiline events idle long enough, a batch old enough, lanes with nothing in flight. */
  tick(now = Date.now()): void {
    for (const lane of this.lanes) lane.flushIdle(now);
    if (this.batch.count && now - this.batch.openedAt >= this.o.flushIntervalMs) this.seal();
    for (const lane of this.lanes) lane.settleIdle();
  }

  /** Resolves once sealed batches are with delivery: a source awaits it between reads (backpressure). */
  async settle(): Promise<void> {
    while (this.handing) await this.handing;
  }

  /** Closes every open event and batch (EOF, shutdown). */
  async finish(): Promise<void> {
    for (const lane of this.lanes) lane.finish();
    this.seal();
    await this.settle();
  }

  private seal(): void {
    const b = this.batch;
    if (!b.count) return;
    this.batch = newBatch();
    const marks = [...b.reach].map(([lane, end]) => lane.sealed(end));
    this.sealed.push({ ndjson: b.ndjson.finish(), count: b.count, bytes: b.bytes, receipt: new BatchReceipt(marks) });
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
