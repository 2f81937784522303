import type { Level } from './levels.ts';
import type { LogEvent } from './event.ts';

/** A search as every backend receives it: already validated, always scoped to one project. */
export interface SearchQuery {
  projectId: number;
  service?: string;
  levels?: Level[];
  /** Full text; every word must match. Never handed to a parser that can fail. */
  text?: string;
  fromMs?: number;
  toMs?: number;
  limit: number;
  after?: Cursor;
}

/** Position after the last hit of a page: newest first, ties broken by event_id. */
export interface Cursor {
  timestampMs: number;
  eventId: string;
}

export interface SearchPage {
  hits: LogEvent[];
  nextCursor?: Cursor;
}

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.timestampMs, c.eventId])).toString('base64url');
}

export function decodeCursor(text: string): Cursor | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && Number.isFinite(v[0]) && typeof v[1] === 'string') return { timestampMs: v[0], eventId: v[1] };
  } catch {
    // fall through: not a cursor of ours
  }
  return undefined;
}
