// The one data set of bench/pipeline.bench.ts: log events as a small company's services write them,
// generated from a fixed seed so every stage (and every run) sees the same content. Several services
// with their own volumes and level mixes, messages of common words, nested metadata (http, user, db,
// err), trace ids shared by the events of one request, hosts and envs.
import type { LogEvent } from '../../shared/event.ts';
import type { Level } from '../../shared/levels.ts';

/** Bump when what is generated changes: a kept search data set from another version is rebuilt. */
export const GENERATOR_VERSION = 1;

type Rand = () => number;

export function mulberry32(seed: number): Rand {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Service {
  name: string;
  weight: number;
  /** Cumulative chances of DEBUG, INFO, WARN (ERROR is the rest). */
  levels: [number, number, number];
  http: boolean;
  hosts: number;
}

// billing never logs DEBUG: `service=billing&level=DEBUG` is the filter that matches nothing.
const SERVICES: Service[] = [
  { name: 'api', weight: 30, levels: [0.1, 0.88, 0.96], http: true, hosts: 12 },
  { name: 'checkout', weight: 14, levels: [0.05, 0.85, 0.95], http: true, hosts: 6 },
  { name: 'auth', weight: 12, levels: [0.08, 0.9, 0.97], http: true, hosts: 4 },
  { name: 'search', weight: 10, levels: [0.15, 0.9, 0.97], http: true, hosts: 4 },
  { name: 'worker', weight: 12, levels: [0.1, 0.86, 0.95], http: false, hosts: 8 },
  { name: 'gateway', weight: 12, levels: [0.02, 0.9, 0.97], http: true, hosts: 3 },
  { name: 'notifications', weight: 6, levels: [0.1, 0.85, 0.94], http: false, hosts: 2 },
  { name: 'billing', weight: 4, levels: [0, 0.85, 0.95], http: false, hosts: 2 },
];
const TOTAL_WEIGHT = SERVICES.reduce((n, s) => n + s.weight, 0);

const PATHS = ['/api/orders', '/api/orders/:id', '/api/cart', '/api/products', '/api/products/:id', '/api/users/me', '/login', '/api/search', '/healthz', '/api/payments'];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];
const UPSTREAMS = ['inventory', 'payments', 'postgres', 'redis', 'search-index', 'mailer'];
const PLANS = ['free', 'free', 'free', 'pro', 'pro', 'enterprise'];
const REGIONS = ['eu-west-1', 'eu-central-1', 'us-east-1'];
const ERRORS = ['ECONNRESET', 'ETIMEDOUT', 'ECONNREFUSED', 'CardDeclined', 'DeadlockDetected', 'ValidationError'];

/** Words the search stage looks for, chosen to span frequencies (common, medium, rare). */
export const QUERY_WORDS = ['cache', 'completed', 'timeout', 'declined', 'deadlock', 'reconciled'] as const;
/** A phrase that occurs, and its words reversed, which never stand next to each other in that order. */
export const PHRASE = 'connection refused';
export const REVERSED_PHRASE = 'refused connection';

function httpStatus(r: Rand, level: Level): number {
  if (level === 'ERROR') return r() < 0.6 ? 500 : 503;
  if (level === 'WARN') return [400, 401, 404, 404, 429][Math.floor(r() * 5)]!;
  return r() < 0.9 ? 200 : 201;
}

function message(r: Rand, s: Service, level: Level, meta: Record<string, unknown>): string {
  const up = UPSTREAMS[Math.floor(r() * UPSTREAMS.length)]!;
  const ms = Math.floor(r() * (level === 'INFO' ? 300 : 5000));
  const http = meta.http as { method: string; path: string; status: number } | undefined;
  switch (level) {
    case 'DEBUG':
      return r() < 0.5 ? `cache miss for key ${up}:${Math.floor(r() * 100000)}` : `cache hit for key product:${Math.floor(r() * 100000)} in ${ms}µs`;
    case 'INFO':
      if (http) return `${http.method} ${http.path} ${http.status} completed in ${ms}ms`;
      if (s.name === 'billing') return r() < 0.3 ? `invoice ${Math.floor(r() * 1e6)} reconciled with ledger` : `invoice ${Math.floor(r() * 1e6)} sent to customer`;
      return r() < 0.5 ? `job ${up}-sync completed in ${ms}ms, ${Math.floor(r() * 500)} items processed` : `message delivered to queue ${up} after ${ms}ms`;
    case 'WARN': {
      const x = r();
      if (x < 0.3) return `timeout after ${ms}ms calling ${up}, retrying (attempt ${1 + Math.floor(r() * 3)} of 3)`;
      if (x < 0.45) return `${up} refused to take a new connection: pool exhausted, waiting`;
      if (x < 0.6) return `slow query on ${up}: ${ms}ms for ${Math.floor(r() * 10000)} rows`;
      return http ? `${http.method} ${http.path} ${http.status} client error in ${ms}ms` : `retrying delivery to ${up} in ${ms}ms`;
    }
    case 'ERROR': {
      const x = r();
      if (x < 0.3) return `upstream ${up}:${8000 + Math.floor(r() * 1000)} connection refused after 3 retries`;
      if (x < 0.5) return `payment failed: card declined for order ${Math.floor(r() * 1e6)}`;
      if (x < 0.52) return `deadlock detected while updating order ${Math.floor(r() * 1e6)}, transaction rolled back`;
      if (x < 0.75) return `request to ${up} failed with timeout after ${ms}ms`;
      return `unhandled error in ${s.name} handler: ${ERRORS[Math.floor(r() * ERRORS.length)]}`;
    }
  }
}

function hex(r: Rand, chars: number): string {
  let s = '';
  while (s.length < chars) s += Math.floor(r() * 0x100000000).toString(16).padStart(8, '0');
  return s.slice(0, chars);
}

/** What a client sends (the body of POST /logs), before the server enriches it. */
export type ClientEvent = Omit<LogEvent, 'project_id' | 'ingest_ts'>;

/**
 * Events one after another, the same sequence for the same seed. A trace (one request) spans 1-6
 * consecutive events, each of whose service may differ, as a request passes through several services.
 */
export class EventGenerator {
  private readonly r: Rand;
  private trace = { id: '', left: 0, span: '' };
  private n = 0;

  constructor(
    seed: number,
    private readonly idPrefix: string,
  ) {
    this.r = mulberry32(seed);
  }

  /** The next event, stamped with `timestampMs`. */
  next(timestampMs: number): ClientEvent {
    const r = this.r;
    let pick = r() * TOTAL_WEIGHT;
    const s = SERVICES.find((x) => (pick -= x.weight) < 0) ?? SERVICES[0]!;
    const l = r();
    const level: Level = l < s.levels[0] ? 'DEBUG' : l < s.levels[1] ? 'INFO' : l < s.levels[2] ? 'WARN' : 'ERROR';
    if (this.trace.left-- <= 0) this.trace = { id: hex(r, 32), left: Math.floor(r() * 6), span: hex(r, 16) };
    const meta: Record<string, unknown> = { region: REGIONS[Math.floor(r() * REGIONS.length)], version: `1.${Math.floor(r() * 4)}.${Math.floor(r() * 10)}` };
    if (s.http && level !== 'DEBUG') {
      meta.http = { method: METHODS[Math.floor(r() * METHODS.length)], path: PATHS[Math.floor(r() * PATHS.length)], status: httpStatus(r, level), duration_ms: Math.floor(r() * 800) };
    }
    if (r() < 0.4) meta.user = { id: Math.floor(r() * 50_000), plan: PLANS[Math.floor(r() * PLANS.length)] };
    if (level === 'ERROR') {
      const type = ERRORS[Math.floor(r() * ERRORS.length)]!;
      meta.err = { type, message: `${type} in ${s.name}`, stack: `Error: ${type}\n    at handler (/srv/${s.name}/src/handler.ts:${10 + Math.floor(r() * 200)}:7)\n    at process (/srv/${s.name}/src/app.ts:88:12)` };
    }
    const event: ClientEvent = {
      event_id: `${this.idPrefix}${(this.n++).toString(36)}`,
      timestamp: new Date(timestampMs).toISOString(),
      service: s.name,
      level,
      message: message(r, s, level, meta),
      host: `${s.name}-${Math.floor(r() * s.hosts)}`,
      env: r() < 0.92 ? 'prod' : 'staging',
      metadata: meta,
    };
    if (r() < 0.75) {
      event.trace_id = this.trace.id;
      meta.span_id = this.trace.span;
    }
    if (s.http && r() < 0.8) event.request_id = `req-${hex(r, 12)}`;
    return event;
  }
}

/** The event as ingest stores it: what the server adds to a client's event. */
export function enriched(e: ClientEvent, projectId: number, ingestTs: string): LogEvent {
  return { ...e, project_id: projectId, ingest_ts: ingestTs };
}

/** `count` events, the last one `endMs`, one every `stepMs` (ingest and sink stages: recent events). */
export function recentEvents(count: number, seed: number, idPrefix: string, endMs = Date.now(), stepMs = 1): ClientEvent[] {
  const g = new EventGenerator(seed, idPrefix);
  const start = endMs - count * stepMs;
  return Array.from({ length: count }, (_, i) => g.next(start + i * stepMs));
}
