import type { LogEvent } from '../../shared/event.ts';
import type { Delivery } from './queue.ts';
import { entryOf, eventRef } from './stream-id.ts';

// The layout of one stream entry, known only here. An accepted batch is one entry: `b` holds its events
// as NDJSON (one JSON text a line; JSON text never holds a raw newline) and `n` how many. Entries of
// earlier releases, and dead letters replayed, hold one event: `e` is its JSON, and `only` (on replays)
// names the one group that is to write it, so other stores do not get it twice. Both are read.

export type RawEntry = [id: string, fields: string[] | null];

const EVENT = 'e';
const ONLY = 'only';
const BATCH = 'b';
const COUNT = 'n';

/** XADD field/value pairs for one event, as replays write it; `only` restricts it to one group. */
export function entryFields(eventJson: string, only?: string): string[] {
  return only === undefined ? [EVENT, eventJson] : [EVENT, eventJson, ONLY, only];
}

/**
 * Appends one batch entry and its line in the count index (see EventStream.backlog), atomically:
 * KEYS events stream, count index stream, appended-events counter; ARGV how many, the NDJSON body.
 * The index entry has the same ID as the batch and holds `n` and `c`, the events appended up to it.
 * A stream deleted on its own (a flush) takes its index with it at the next append.
 */
export const APPEND_BATCH = `
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('DEL', KEYS[2]) end
local c = redis.call('INCRBY', KEYS[3], ARGV[1])
local id = redis.call('XADD', KEYS[1], '*', '${COUNT}', ARGV[1], '${BATCH}', ARGV[2])
redis.call('XADD', KEYS[2], id, '${COUNT}', ARGV[1], 'c', c)
return id`;

/**
 * The ARGV of APPEND_BATCH for these events (JSON texts, none holding a newline). The body is written
 * straight into one buffer as UTF-8: joining the texts first and encoding the join costs a second pass
 * over every byte (the event texts are built by concatenation, and joining flattens each of them).
 */
export function batchArgs(events: readonly string[]): [string, Buffer] {
  let chars = events.length;
  for (const e of events) chars += e.length;
  const body = Buffer.allocUnsafe(3 * chars); // UTF-8 takes at most 3 bytes per UTF-16 unit
  let at = 0;
  for (let i = 0; i < events.length; i++) {
    if (i > 0) body[at++] = 10; // \n
    at += body.write(events[i]!, at, 'utf8');
  }
  return [String(events.length), body.subarray(0, at)];
}

/** An index entry's `n` and `c` (APPEND_BATCH). */
export function indexCounts(fields: string[]): { n: number; c: number } {
  let n = 0;
  let c = 0;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === COUNT) n = Number(fields[i + 1]);
    else if (fields[i] === 'c') c = Number(fields[i + 1]);
  }
  return { n, c };
}

export interface DecodedEntry {
  id: string;
  /** Its events in order, each with its own ref (see eventRef). */
  deliveries: Delivery[];
  /** The group this entry is for, when it is for one group only. */
  only?: string;
}

export function decodeEntry([id, fields]: RawEntry): DecodedEntry {
  if (!fields) return { id, deliveries: [{ ref: id, problem: 'stream entry was removed before this sink wrote it', raw: '' }] };
  let raw: string | undefined;
  let body: string | undefined;
  let only: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i];
    if (name === BATCH) body = fields[i + 1];
    else if (name === EVENT) raw = fields[i + 1];
    else if (name === ONLY) only = fields[i + 1];
  }
  if (body !== undefined) {
    const lines = body.split('\n');
    return { id, deliveries: lines.map((line, i) => decodeEvent(eventRef(id, i, lines.length), line)) };
  }
  if (raw === undefined) return { id, deliveries: [{ ref: id, problem: 'stream entry has no event field', raw: fields.join(' ') }], only };
  return { id, deliveries: [decodeEvent(id, raw)], only };
}

function decodeEvent(ref: string, raw: string): Delivery {
  try {
    const event = JSON.parse(raw) as LogEvent;
    if (event === null || typeof event !== 'object') throw new Error('not an object');
    return { ref, event };
  } catch {
    return { ref, problem: 'stream entry is not valid JSON', raw };
  }
}

/** The stream entry a delivery came from. */
export function deliveryEntry(d: Delivery): string {
  return entryOf(d.ref);
}

/** What a dead letter keeps of a delivery: the event as JSON, or the unreadable text. */
export function deliveryText(d: Delivery): string {
  return 'event' in d ? JSON.stringify(d.event) : d.raw;
}
