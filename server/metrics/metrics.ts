import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

// What an operator looks at first, in Prometheus' text format (GET /metrics). One Metrics per process
// (`logflow up` shares one between its server and its worker), each with a registry of its own, so
// several in one process (tests) never meet. Labels are bounded sets: endpoint, status, reason class,
// sink, group, backend. No project is ever a label: projects are unbounded, and a project's own
// figures are in its logs and search.

/** Seconds: from a fast PostgreSQL insert to an OpenSearch bulk that waits out a merge. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Events per write: LOGFLOW_WORKER_BATCH is 500 by default, and a failing batch is halved down to 1. */
const BATCH_BUCKETS = [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10_000];

export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'logflow_http_requests_total',
    help: 'HTTP requests answered, by endpoint and status code (aborted: the client left before the answer was sent)',
    labelNames: ['endpoint', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'logflow_http_request_duration_seconds',
    help: 'Time from a request arriving to its answer sent, by endpoint (a live tail lasts as long as its reader)',
    labelNames: ['endpoint'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly eventsAccepted = new Counter({
    name: 'logflow_ingest_events_accepted_total',
    help: 'Events the queue took (answered 200/202): every configured store will take them',
    registers: [this.registry],
  });
  readonly eventsRefused = new Counter({
    name: 'logflow_ingest_events_refused_total',
    help: 'Events refused at ingest, by reason: unreadable, time, event_id (the event itself); backpressure, rate_limited, queue_unavailable (the whole request, to be sent again); server_error',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly bytesIn = new Counter({
    name: 'logflow_ingest_bytes_total',
    help: 'Bytes of events handed to ingest, as sent and after decompression (what the per-project bytes limit counts)',
    registers: [this.registry],
  });

  readonly sinkWrites = new Counter({
    name: 'logflow_sink_writes_total',
    help: 'Batch writes to a store, by result: ok, unavailable (a transient store error: the batch is written again after a backoff), error (any other failure: written again, then split to find the events that cause it)',
    labelNames: ['sink', 'result'] as const,
    registers: [this.registry],
  });
  readonly sinkRetriedEvents = new Counter({
    name: 'logflow_sink_retried_events_total',
    help: 'Events a store asked to be written again (an OpenSearch 429 item): written again after a backoff',
    labelNames: ['sink'] as const,
    registers: [this.registry],
  });
  readonly sinkWriteDuration = new Histogram({
    name: 'logflow_sink_write_duration_seconds',
    help: 'Time of one batch write to a store, each attempt, failed ones included',
    labelNames: ['sink'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly sinkBatchEvents = new Histogram({
    name: 'logflow_sink_batch_events',
    help: 'Events in one batch write to a store',
    labelNames: ['sink'] as const,
    buckets: BATCH_BUCKETS,
    registers: [this.registry],
  });

  readonly searchDuration = new Histogram({
    name: 'logflow_search_duration_seconds',
    help: 'Time a search backend took to answer, by backend, query (search, histogram, bounds, fields) and result (ok, error)',
    labelNames: ['backend', 'query', 'result'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  constructor() {
    // process_cpu_seconds_total, nodejs_eventloop_lag_seconds, ...: the names every Node dashboard reads.
    collectDefaultMetrics({ register: this.registry });
  }

  /** Adds a metric computed when scraped (queue state, counts kept elsewhere), once per name: `logflow up` registers the queue's from both halves. */
  addOnce(name: string, make: (registers: Registry[]) => void): void {
    if (!this.registry.getSingleMetric(name)) make([this.registry]);
  }

  /** The text format, and its content type. */
  async scrape(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}

/** A Gauge set at each scrape from `read` (one label set per entry). */
export function scrapedGauge<L extends string>(registers: Registry[], name: string, help: string, labelNames: readonly L[], read: () => Promise<{ labels: Record<L, string>; value: number }[]>): Gauge<L> {
  return new Gauge({
    name,
    help,
    labelNames,
    registers,
    async collect() {
      const rows = await read();
      this.reset();
      for (const r of rows) this.set(r.labels, r.value);
    },
  });
}

/** A Counter whose totals are kept elsewhere (a worker's stats, retention's counts), read at each scrape. */
export function scrapedCounter<L extends string>(registers: Registry[], name: string, help: string, labelNames: readonly L[], read: () => { labels: Record<L, string>; value: number }[]): Counter<L> {
  return new Counter({
    name,
    help,
    labelNames,
    registers,
    collect() {
      this.reset();
      for (const r of read()) this.inc(r.labels, r.value);
    },
  });
}
