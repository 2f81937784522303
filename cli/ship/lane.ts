import type { Level } from '../../shared/levels.ts';
import { parseLine, type LineFormat } from '../../shared/parse/line.ts';
import { EventEncoder } from './transforms/event-encoder.ts';
import { MultilineJoiner, type JoinedEvent, type MultilineOptions } from './transforms/multiline.ts';

/** Where a lane says how far its source is safe to resume from: a file's checkpoint; nowhere for stdin. */
export interface Progress {
  committed(offset: number): void;
}

export const NO_PROGRESS: Progress = { committed() {} };

/** Where a lane's events go: the shipper's open batch. */
export interface EventSink {
  add(lane: Lane, event: string, end: number): void;
  /** The lane's source is done: it sends no more events and holds none. */
  retire(lane: Lane): void;
}

/** How far into its source a sealed batch holds a lane's events; secured once the server or the spool has the batch. */
export class LaneMark {
  secured = false;

  constructor(
    readonly lane: Lane,
    readonly end: number,
  ) {}
}

export interface LaneOptions {
  /** The source's id: every event id of the lane is `<key>:<byte offset>`. */
  key: string;
  startOffset: number;
  progress: Progress;
  format: LineFormat;
  encoder: EventEncoder;
  multiline: Omit<MultilineOptions, 'startOffset'>;
}

/**
 * One source's way through the shipper (a file, or stdin): its lines are joined into multiline events,
 * parsed and written as wire events into the sink's batch. It keeps the books of how far its source is
 * safe: a batch sealed with its events leaves a mark, and once every mark up to one is secured, in
 * source order, its progress moves there.
 */
export class Lane {
  /** Lines pushed into the lane. */
  lines = 0;
  private readonly joiner: MultilineJoiner;
  private readonly idPrefix: string;
  private readonly format: LineFormat;
  private readonly encoder: EventEncoder;
  private readonly progress: Progress;
  private readonly marks: LaneMark[] = [];
  private committedTo: number;
  private inBatch = false;
  /** The level and time of the lane's last event, for the parts that continue it. */
  private lastLevel: Level = 'INFO';
  private lastTime: string | undefined;

  constructor(
    private readonly sink: EventSink,
    o: LaneOptions,
  ) {
    this.joiner = new MultilineJoiner({ ...o.multiline, startOffset: o.startOffset });
    this.idPrefix = EventEncoder.idPrefix(o.key);
    this.format = o.format;
    this.encoder = o.encoder;
    this.progress = o.progress;
    this.committedTo = o.startOffset;
  }

  push(text: string, start: number, end: number, now: number): void {
    this.lines++;
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
    this.sink.retire(this);
  }

  /** A batch holding this lane's events up to `end` was sealed. */
  sealed(end: number): LaneMark {
    this.inBatch = false;
    const mark = new LaneMark(this, end);
    this.marks.push(mark);
    return mark;
  }

  /** The batch holding `mark` is safe: the lane's progress moves over every secured mark, in order. */
  secure(mark: LaneMark): void {
    mark.secured = true;
    let to: number | undefined;
    while (this.marks[0]?.secured) to = this.marks.shift()!.end;
    if (to !== undefined) this.moveTo(to);
  }

  /** Lines that made no event (blank lines) are safe as soon as nothing before them waits. */
  settleIdle(): void {
    if (!this.marks.length && !this.inBatch) this.moveTo(this.joiner.committedOffset);
  }

  private emit(e: JoinedEvent): void {
    this.inBatch = true;
    const parsed = parseLine(e.text, this.format);
    // A part of a trace longer than --max-event-bytes carries the level and time of its first part, so
    // that searching for the error finds every part, in order.
    if (e.continued) {
      parsed.level = this.lastLevel;
      parsed.timestamp = this.lastTime ?? parsed.timestamp;
    }
    this.lastLevel = parsed.level;
    this.lastTime = parsed.timestamp;
    this.sink.add(this, this.encoder.encode(parsed, this.idPrefix, e.start, e.truncated ? e.lines : undefined), e.end);
  }

  private moveTo(offset: number): void {
    if (offset <= this.committedTo) return;
    this.committedTo = offset;
    this.progress.committed(offset);
  }
}
