import type { LogEvent } from '../../shared/event.ts';
import type { Delivery } from './queue.ts';

// The layout of one stream entry, known only here: `e` holds the event as JSON; `only` (on replayed
// dead letters) names the one group that is to write it, so other stores do not get it twice.

export type RawEntry = [id: string, fields: string[] | null];

const EVENT = 'e';
const ONLY = 'only';

/** XADD field/value pairs for an event; `only` restricts it to one group. */
export function entryFields(eventJson: string, only?: string): string[] {
  return only === undefined ? [EVENT, eventJson] : [EVENT, eventJson, ONLY, only];
}

export interface DecodedEntry {
  delivery: Delivery;
  /** The group this entry is for, when it is for one group only. */
  only?: string;
}

export function decodeEntry([id, fields]: RawEntry): DecodedEntry {
  if (!fields) return { delivery: { ref: id, problem: 'stream entry was removed before this sink wrote it', raw: '' } };
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) record[fields[i]!] = fields[i + 1]!;
  const raw = record[EVENT];
  const only = record[ONLY];
  if (raw === undefined) return { delivery: { ref: id, problem: 'stream entry has no event field', raw: fields.join(' ') }, only };
  try {
    const event = JSON.parse(raw) as LogEvent;
    if (event === null || typeof event !== 'object') throw new Error('not an object');
    return { delivery: { ref: id, event }, only };
  } catch {
    return { delivery: { ref: id, problem: 'stream entry is not valid JSON', raw }, only };
  }
}

/** What a dead letter keeps of a delivery: the event as JSON, or the unreadable text. */
export function deliveryText(d: Delivery): string {
  return 'event' in d ? JSON.stringify(d.event) : d.raw;
}
