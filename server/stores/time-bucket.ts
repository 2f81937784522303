// Which period of time holds an event, in the stores that keep data by period (OpenSearch indices,
// archive files). An index or a file per day of whatever timestamp came in lets one request of
// scattered past dates create thousands of them, until the store refuses everybody's next one. So
// only recent days get a day of their own; older events share a month, and the oldest one bucket:
// whatever comes in, a namespace has about 62 day buckets, 24 month buckets and one older bucket
// at a time beyond the days its live traffic fills.
//
// "Recent" is measured from the event's ingest time, which travels with it, never from the clock: a
// worker's retry meets its first copy in the same bucket. (A client sending the same event again
// after a new UTC month began can see it land one period coarser; the stores look there first.)

export type Period = 'day' | 'month' | 'older';

/** Months before the ingest month that still get days of their own (the ingest month itself always does). */
const DAY_MONTHS = 1;
/** Months before those that get a month of their own; anything older shares one bucket. */
const MONTH_MONTHS = 24;

/** Shared between events (bucketOf keeps them): read only. */
export interface Bucket {
  readonly period: Period;
  /** Year, month, day as the period needs them, zero-padded: ['2026', '11', '02'], ['2024', '03'] or []. */
  readonly parts: readonly string[];
}

/**
 * The bucket of an event with this timestamp, ingested at ingestMs. Undefined when the timestamp is no
 * time at all. An unreadable ingest time (an entry from before ingest set one) counts as the event's own.
 */
export function bucketOf(timestampIso: string, ingestIso: string): Bucket | undefined {
  // Ingest writes both times as toISOString() does: the day and the month are then in the text, and
  // a batch holds few distinct days, so the answer is kept per (day, ingest month). Parsing dates
  // for every event cost about 5 µs, more than the rest of a file sink's work on it.
  const key = isCanonical(timestampIso) && isCanonical(ingestIso) ? `${timestampIso.slice(0, 10)}|${ingestIso.slice(0, 7)}` : undefined;
  if (key !== undefined) {
    const known = cache.get(key);
    if (known !== undefined) return known;
  }
  const bucket = computeBucket(timestampIso, ingestIso);
  if (key !== undefined && bucket) {
    if (cache.size >= 4096) cache.clear();
    cache.set(key, bucket);
  }
  return bucket;
}

const cache = new Map<string, Bucket>();

/** YYYY-MM-DDTHH:MM:SS.sssZ, four-digit year: what Date#toISOString writes for years 0000-9999. */
function isCanonical(iso: string): boolean {
  return iso.length === 24 && iso.charCodeAt(10) === 84 /* T */ && iso.charCodeAt(23) === 90 /* Z */ && iso.charCodeAt(4) === 45 /* - */;
}

function computeBucket(timestampIso: string, ingestIso: string): Bucket | undefined {
  const ms = Date.parse(timestampIso);
  if (Number.isNaN(ms)) return undefined;
  const ingest = Date.parse(ingestIso);
  const age = Number.isNaN(ingest) ? 0 : monthIndex(ingest) - monthIndex(ms);
  const period: Period = age <= DAY_MONTHS ? 'day' : age <= DAY_MONTHS + MONTH_MONTHS ? 'month' : 'older';
  return { period, parts: partsOf(ms, period) };
}

/**
 * The finer buckets a copy of the same event ingested earlier could be in: where to look before
 * writing it into a coarser one, so that it is stored once.
 */
export function earlierBuckets(timestampIso: string, bucket: Bucket): Bucket[] {
  const ms = Date.parse(timestampIso);
  if (bucket.period === 'day' || Number.isNaN(ms)) return [];
  const day: Bucket = { period: 'day', parts: partsOf(ms, 'day') };
  return bucket.period === 'month' ? [day] : [{ period: 'month', parts: partsOf(ms, 'month') }, day];
}

function monthIndex(ms: number): number {
  const d = new Date(ms);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}

// Years outside 0000-9999 keep JavaScript's extended form (+012345, -000001): distinct and file- and index-safe.
function partsOf(ms: number, period: Period): string[] {
  if (period === 'older') return [];
  const iso = new Date(ms).toISOString();
  const [year, month, day] = iso.slice(0, iso.indexOf('T')).split(/(?<=\d)-/) as [string, string, string];
  return period === 'month' ? [year, month] : [year, month, day];
}

/** The instants a bucket holds, [startMs, endMs); startMs undefined: from the beginning of time. */
export interface Span {
  startMs?: number;
  endMs: number;
}

/**
 * The instants a day or month bucket holds. Undefined for `older`, whose end depends on when its
 * events came in (see olderSpan); a store that keeps one finds out from what it holds.
 */
export function spanOf(bucket: Bucket): Span | undefined {
  const [year, month, day] = bucket.parts.map(Number) as [number, number, number | undefined];
  if (bucket.period === 'day') return { startMs: Date.UTC(year, month - 1, day), endMs: Date.UTC(year, month - 1, day! + 1) };
  if (bucket.period === 'month') return { startMs: Date.UTC(year, month - 1, 1), endMs: Date.UTC(year, month, 1) };
  return undefined;
}

/** Everything an event ingested at ingestIso would find `older`: before the first month that still gets a bucket of its own. */
export function olderSpan(ingestIso: string): Span {
  const ingest = new Date(Date.parse(ingestIso));
  return { endMs: Date.UTC(ingest.getUTCFullYear(), ingest.getUTCMonth() - DAY_MONTHS - MONTH_MONTHS, 1) };
}

/** The bucket a store named by its parts (an index's `2026.11.02`, a file's `2026-11`, `older`); undefined for any other name. */
export function bucketNamed(name: string, separator: string): Bucket | undefined {
  if (name === 'older') return { period: 'older', parts: [] };
  const parts = name.split(separator);
  const ok = /^[+-]?\d{4,6}$/.test(parts[0] ?? '') && parts.slice(1).every((p) => /^\d{2}$/.test(p));
  if (!ok || (parts.length !== 2 && parts.length !== 3)) return undefined;
  const bucket: Bucket = { period: parts.length === 3 ? 'day' : 'month', parts };
  // Only names the stores write: the parts must be the bucket's own (no 2026-13, no 2026-02-30).
  const start = spanOf(bucket)!.startMs!;
  return Number.isFinite(start) && partsOf(start, bucket.period).join(separator) === name ? bucket : undefined;
}
