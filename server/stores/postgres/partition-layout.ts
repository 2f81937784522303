// How the logs table is cut into partitions: the pure part (what to create, what it is called),
// tested without a database; partitions.ts does it.
//
// Two levels. The table is partitioned by time (RANGE on ts) into the same periods the other stores
// use (time-bucket.ts): a UTC day for recent events, a month for older ones, one range for the
// oldest. Each period is partitioned by project (LIST on project_id), one leaf per project that has
// events in it. So retention drops a project's day (or month) as a table, whatever that project's
// retention is, and a search, which always names its project and (through retention) a time range,
// is pruned by the planner to that project's leaves of those days, newest first.
//
// Periods are fixed once created: a range never moves or merges, so an event retried later lands in
// the leaf that holds its first copy (its timestamp decides, and it carries the same one), and the
// unique key (project_id, event_id, ts) meets it there. A period is chosen when its first event comes,
// from that event's own times as OpenSearch chooses its index; where it would overlap a range made
// before (a month that already has some days), it is cut to the gap, so ranges never overlap.

import { bucketOf, olderSpan, spanOf, type Span } from '../time-bucket.ts';
import { pgTimestamp } from './query.ts';

/** A range of the logs table: a period, and its leaves by project. */
export interface RangePartition {
  name: string;
  /** Undefined: from MINVALUE. */
  startMs?: number;
  endMs: number;
  /** Leaf table per project. */
  leaves: Map<number, string>;
  /** A plain table attached as the range (not made by LogFlow): it holds every project's rows. */
  plain?: boolean;
}

/** The range holding ms, in ranges sorted by endMs; undefined when none does. */
export function rangeHolding(ranges: readonly RangePartition[], ms: number): RangePartition | undefined {
  let lo = 0;
  let hi = ranges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ranges[mid]!.endMs <= ms) lo = mid + 1;
    else hi = mid;
  }
  const r = ranges[lo];
  return r && (r.startMs === undefined || r.startMs <= ms) ? r : undefined;
}

/**
 * The range to create for an event no range holds: its bucket's span (time-bucket.ts), cut to the gap
 * between the ranges around it. Undefined when the timestamp is no time (the insert refuses that event).
 */
export function rangeToCreate(timestampIso: string, ingestIso: string, ranges: readonly RangePartition[]): Span | undefined {
  const ms = Date.parse(timestampIso);
  const bucket = bucketOf(timestampIso, ingestIso);
  if (!bucket || !Number.isFinite(ms)) return undefined;
  const span = spanOf(bucket) ?? olderSpan(ingestIso);
  let { startMs, endMs } = span;
  for (const r of ranges) {
    if (r.endMs <= ms && (startMs === undefined || r.endMs > startMs)) startMs = r.endMs;
    if (r.startMs !== undefined && r.startMs > ms && r.startMs < endMs) endMs = r.startMs;
  }
  return startMs === undefined ? { endMs } : { startMs, endMs };
}

/** YYYYMMDD of a midnight; years past 9999 keep their digits, years before 1 start with "m". */
function day(ms: number): string {
  const iso = new Date(ms).toISOString();
  const date = iso.slice(0, iso.indexOf('T'));
  return date.replace(/^-/, 'm').replace(/[^0-9m]/g, '');
}

/** `<root>_20261102_20261103` for a day, `<root>_20260901_20261001` for a month, `<root>_min_20241001` for the oldest. */
export function rangeName(root: string, span: Span): string {
  return `${root}_${span.startMs === undefined ? 'min' : day(span.startMs)}_${day(span.endMs)}`;
}

/** `<range>_p<project_id>`. */
export function leafName(range: string, projectId: number): string {
  return `${range}_p${projectId}`;
}

/** A timestamptz literal of a bound, for FOR VALUES FROM (...) TO (...). */
export function boundLiteral(ms: number | undefined): string {
  return ms === undefined ? 'MINVALUE' : `'${pgTimestamp(ms)}'`;
}
