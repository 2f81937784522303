import type { EventQueue, GroupState } from '../queue/queue.ts';
import { retentionCounts } from '../retention/counters.ts';
import { type Metrics, scrapedCounter, scrapedGauge } from './metrics.ts';

const QUEUE_READ_TIMEOUT_MS = 2000;

// Metrics read when scraped from what already keeps them: the queue's own state, a worker's stats,
// retention's counts. Each is registered once per Metrics, whichever half of `logflow up` comes first.

/** Backlog, and per sink group: lag, pending entries, the age of the oldest unsettled event. One look at the queue per scrape. */
export function addQueueMetrics(m: Metrics, queue: Pick<EventQueue, 'backlog' | 'groups'>): void {
  let last: { at: number; state: Promise<{ backlog: number; groups: GroupState[] } | undefined> } | undefined;
  // The gauges of one scrape share one reading; a queue that does not answer within 2 s (the worker's
  // connection waits for Redis to come back) leaves them empty and logflow_queue_up 0, so a scrape never hangs.
  const read = () => {
    if (!last || Date.now() - last.at > 500) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), QUEUE_READ_TIMEOUT_MS);
      });
      const state = Promise.all([queue.backlog(), queue.groups()]).then(([backlog, groups]) => ({ backlog, groups }), () => undefined);
      last = { at: Date.now(), state: Promise.race([state, late]).finally(() => clearTimeout(timer)) };
    }
    return last.state;
  };
  const perGroup = (value: (g: GroupState) => number | null) => async () =>
    ((await read())?.groups ?? []).flatMap((g) => {
      const v = value(g);
      return v === null ? [] : [{ labels: { group: g.name }, value: v }];
    });
  m.addOnce('logflow_queue_up', (registers) => {
    scrapedGauge(registers, 'logflow_queue_up', '1 when the queue (Redis) answered this scrape, 0 when it did not', [], async () => [{ labels: {}, value: (await read()) ? 1 : 0 }]);
    scrapedGauge(registers, 'logflow_queue_backlog_events', 'Events kept in the stream (the slowest group still has these to do at most); backpressure answers 429 past LOGFLOW_MAX_BACKLOG; NaN when the queue did not answer', [], async () => {
      // Unlabelled, it is always exported: NaN (not 0) when the queue did not answer.
      return [{ labels: {}, value: (await read())?.backlog ?? NaN }];
    });
    scrapedGauge(registers, 'logflow_queue_lag_events', 'Events no consumer of the group (one group per sink) has received yet', ['group'], perGroup((g) => g.lag));
    scrapedGauge(registers, 'logflow_queue_pending_entries', 'Entries received by a consumer of the group and not settled yet (being written, or left by a worker that died)', ['group'], perGroup((g) => g.pending));
    scrapedGauge(registers, 'logflow_queue_oldest_unsettled_age_seconds', 'Age of the oldest event the group has not written (or dead-lettered) yet, since it was accepted; 0 when none waits', ['group'], perGroup((g) => (g.oldestUnsettledMs === null ? 0 : Math.max(0, (Date.now() - g.oldestUnsettledMs) / 1000))));
  });
}

/** Events each sink of this worker wrote and dead-lettered since it started (SinkWorker's own stats). */
export function addSinkStatsMetrics(m: Metrics, stats: () => Record<string, { written: number; deadLettered: number }>): void {
  const rows = (pick: (s: { written: number; deadLettered: number }) => number) => () => Object.entries(stats()).map(([sink, s]) => ({ labels: { sink }, value: pick(s) }));
  m.addOnce('logflow_sink_events_written_total', (registers) => {
    scrapedCounter(registers, 'logflow_sink_events_written_total', 'Events a sink wrote and settled (acknowledged) since the worker started', ['sink'], rows((s) => s.written));
    scrapedCounter(registers, 'logflow_sink_events_dead_lettered_total', 'Events a sink refused for good and put in the dead letters with the reason (logflow dead-letters list)', ['sink'], rows((s) => s.deadLettered));
  });
}

/** What retention removed in this process (retention/counters.ts), by store and kind (partition, index, documents, file). */
export function addRetentionMetrics(m: Metrics): void {
  const removed = (pick: (c: { removed: number; events: number; bytes: number }) => number) => () =>
    Object.entries(retentionCounts().removed).map(([key, c]) => {
      const [store = key, kind = ''] = key.split(' ');
      return { labels: { store, kind }, value: pick(c) };
    });
  m.addOnce('logflow_retention_runs_total', (registers) => {
    scrapedCounter(registers, 'logflow_retention_runs_total', 'Retention runs this process made', [], () => [{ labels: {}, value: retentionCounts().runs }]);
    scrapedCounter(registers, 'logflow_retention_failures_total', 'Store runs of retention that failed (the store was away, ...): tried again at the next run', [], () => [{ labels: {}, value: retentionCounts().failures }]);
    scrapedCounter(registers, 'logflow_retention_removed_total', 'Things retention removed, by store and kind: partition, index, documents, file', ['store', 'kind'], removed((c) => c.removed));
    scrapedCounter(registers, 'logflow_retention_removed_events_total', 'Events in what retention removed (files count none: their events are not counted)', ['store', 'kind'], removed((c) => c.events));
    scrapedCounter(registers, 'logflow_retention_removed_bytes_total', 'Bytes retention freed, where the store says', ['store', 'kind'], removed((c) => c.bytes));
  });
}
