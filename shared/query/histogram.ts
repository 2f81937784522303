import { LEVELS, type Level } from '../levels.ts';
import type { HistogramBucket } from './search.ts';

export const DEFAULT_BUCKETS = 60;
export const MAX_BUCKETS = 1000;

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
/** Intervals a person reads easily, as Grafana and Kibana pick them. */
const NICE = [1, 2, 5, 10, 20, 50, 100, 200, 500, S, 2 * S, 5 * S, 10 * S, 15 * S, 30 * S, M, 2 * M, 5 * M, 10 * M, 15 * M, 30 * M, H, 2 * H, 3 * H, 6 * H, 12 * H, D, 2 * D, 7 * D, 14 * D, 30 * D, 90 * D, 365 * D];

/** The smallest readable interval that covers [fromMs, toMs) in at most `buckets` buckets. */
export function chooseInterval(fromMs: number, toMs: number, buckets: number): number {
  const span = Math.max(1, toMs - fromMs);
  for (const interval of NICE) if (bucketCount(fromMs, toMs, interval) <= buckets) return interval;
  // Longer than NICE reaches: whole years, as many as needed.
  return Math.ceil(span / buckets / (365 * D)) * 365 * D;
}

/** Buckets start at multiples of the interval since the epoch (UTC), so they line up across queries. */
export function bucketStart(ms: number, intervalMs: number): number {
  return Math.floor(ms / intervalMs) * intervalMs;
}

export function bucketCount(fromMs: number, toMs: number, intervalMs: number): number {
  return Math.max(1, Math.ceil((toMs - bucketStart(fromMs, intervalMs)) / intervalMs));
}

export function emptyCounts(): Record<Level, number> {
  return Object.fromEntries(LEVELS.map((l) => [l, 0])) as Record<Level, number>;
}

/** Every bucket of the range, zeros where a store had no events, from what the store counted. */
export function fillBuckets(fromMs: number, toMs: number, intervalMs: number, counted: { startMs: number; level: string; count: number }[]): HistogramBucket[] {
  const first = bucketStart(fromMs, intervalMs);
  const buckets: HistogramBucket[] = [];
  for (let i = 0, n = bucketCount(fromMs, toMs, intervalMs); i < n; i++) buckets.push({ startMs: first + i * intervalMs, counts: emptyCounts() });
  for (const c of counted) {
    const bucket = buckets[Math.round((c.startMs - first) / intervalMs)];
    if (bucket && (LEVELS as readonly string[]).includes(c.level)) bucket.counts[c.level as Level] += c.count;
  }
  return buckets;
}
