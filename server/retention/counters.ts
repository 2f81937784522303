import type { Removal } from '../stores/types.ts';

/**
 * What retention removed in this process since it started, by store and kind ("postgres partition",
 * "opensearch documents", ...), for whoever exports metrics (a counter per key: things removed,
 * events in them, bytes). The record of each run is also kept in PostgreSQL (retention_runs).
 */
export interface RetentionCounts {
  runs: number;
  /** Store runs that failed (the store was away, ...); retried at the next tick. */
  failures: number;
  removed: Record<string, { removed: number; events: number; bytes: number }>;
}

const counts: RetentionCounts = { runs: 0, failures: 0, removed: {} };

/** A copy of the counts so far. */
export function retentionCounts(): RetentionCounts {
  return { runs: counts.runs, failures: counts.failures, removed: Object.fromEntries(Object.entries(counts.removed).map(([k, v]) => [k, { ...v }])) };
}

export function countRun(removals: readonly Removal[], failures: number): void {
  counts.runs += 1;
  counts.failures += failures;
  for (const r of removals) {
    const c = (counts.removed[`${r.store} ${r.kind}`] ??= { removed: 0, events: 0, bytes: 0 });
    c.removed += 1;
    c.events += r.events ?? 0;
    c.bytes += r.bytes ?? 0;
  }
}
