import type { Level } from '../levels.ts';
import type { LogEvent } from '../event.ts';
import type { Query } from './tree.ts';
import { wellFormed } from '../parse/unicode.ts';

/** Earliest and latest instant every store can hold (JavaScript's own range, ±8.64e15 ms). */
export const MIN_TIME_MS = -8.64e15;
export const MAX_TIME_MS = 8.64e15;

/** What every search answer is scoped by: already validated, always one project. */
export interface QueryScope {
  projectId: number;
  query: Query;
  /** Inclusive. */
  fromMs?: number;
  /** Exclusive. */
  toMs?: number;
}

/** A page of hits, newest first. */
export interface SearchQuery extends QueryScope {
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

/** Counts per time bucket and level over [fromMs, toMs). */
export interface HistogramQuery extends QueryScope {
  fromMs: number;
  toMs: number;
  intervalMs: number;
}

export interface HistogramBucket {
  /** Start of the bucket (epoch ms, a multiple of the interval). */
  startMs: number;
  counts: Record<Level, number>;
}

/** Field names and their most frequent values, over the newest `sample` matching events. */
export interface FieldsQuery extends QueryScope {
  /** How many of the newest matching events are looked at. */
  sample: number;
  /** Values per field at most. */
  values: number;
}

export interface FieldSummary {
  name: string;
  /** Events of the sample that have the field. */
  count: number;
  /** Most frequent first; ties by value, byte order. */
  values: { value: string; count: number }[];
}

export interface FieldsResult {
  /** Events looked at (at most the sample size). */
  sampled: number;
  fields: FieldSummary[];
}

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;
export const FIELDS_SAMPLE = 10_000;
export const DEFAULT_FIELD_VALUES = 10;
export const MAX_FIELD_VALUES = 100;
/** Field names in a fields answer, most common first. */
export const MAX_FIELD_NAMES = 200;
/** The event fields the fields answer lists beside metadata paths. */
export const FACET_COLUMNS = ['service', 'level', 'host', 'env', 'trace_id', 'request_id'] as const;

/** Orders field values the way every store's answer is given: count down, then value in byte order. */
export function byCountThenValue(a: { value: string; count: number }, b: { value: string; count: number }): number {
  return b.count - a.count || compareBytes(a.value, b.value);
}

/** UTF-8 byte order (= code point order), what OpenSearch keywords and PostgreSQL's C collation sort by. */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.timestampMs, c.eventId])).toString('base64url');
}

/** The cursor a page gave out; undefined for anything else (wrong shape, or a time no store holds). */
export function decodeCursor(text: string): Cursor | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (!Array.isArray(v) || v.length !== 2) return undefined;
    const [ms, id] = v as unknown[];
    if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < MIN_TIME_MS || ms > MAX_TIME_MS) return undefined;
    // No stored event has an id with a NUL or a lone surrogate (ingest makes text well-formed), and PostgreSQL refuses them in a query.
    if (typeof id !== 'string' || id.length > 1000 || wellFormed(id) !== id) return undefined;
    return { timestampMs: ms, eventId: id };
  } catch {
    return undefined; // not a cursor of ours
  }
}
