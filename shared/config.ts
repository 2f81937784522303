import { ConfigError } from './errors.ts';
import { parseBytes } from './size.ts';
import { MAX_RETENTION_DAYS } from './retention.ts';

// Every setting once: its environment variable, how its value is read, its default and its
// description. The description is the documentation (README) and the error message when a value is
// wrong. Read by hand rather than with zod: every command reads its settings, and loading zod costs
// a `logflow ship` sidecar 14 MB and 50 ms at start for a dozen variables.

export const SINK_NAMES = ['opensearch', 'postgres', 'file'] as const;
export type SinkName = (typeof SINK_NAMES)[number];
const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** A value that cannot be used; the message reads after the variable's name. */
class Invalid extends Error {}

interface Spec<T> {
  description: string;
  /** The setting's value from its raw text, or from nothing (unset or empty). */
  read(raw: string | undefined): T;
}

function required<T>(parse: (raw: string) => T, fallback: T, description: string): Spec<T> {
  return { description, read: (raw) => (raw === undefined ? fallback : parse(raw)) };
}

function optional<T>(parse: (raw: string) => T, description: string): Spec<T | undefined> {
  return { description, read: (raw) => (raw === undefined ? undefined : parse(raw)) };
}

const url =
  (...protocols: string[]) =>
  (raw: string): string => {
    const value = raw.trim();
    let protocol: string | undefined;
    try {
      protocol = new URL(value).protocol.replace(':', '');
    } catch {
      // not a URL at all
    }
    if (protocol === undefined || !protocols.includes(protocol)) throw new Invalid(`must be a ${protocols.join(' or ')} URL`);
    return value;
  };

const int =
  (min: number, max: number) =>
  (raw: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n)) throw new Invalid('must be a whole number');
    if (n < min) throw new Invalid(`must be at least ${min}`);
    if (n > max) throw new Invalid(`must be at most ${max}`);
    return n;
  };

const text = (raw: string): string => raw;

const bytes = (raw: string): number => {
  const n = parseBytes(raw);
  if (n === undefined || !Number.isSafeInteger(n)) throw new Invalid('must be a size such as 4MiB, 500KB or 1048576');
  return n;
};

const trimmed = (raw: string): string => {
  const value = raw.trim();
  if (!value) throw new Invalid('must not be blank');
  return value;
};

const matching = (pattern: RegExp, message: string) => (raw: string) => {
  if (!pattern.test(raw)) throw new Invalid(message);
  return raw;
};

function oneOf<T extends string>(choices: readonly T[]) {
  return (raw: string): T => {
    if (!(choices as readonly string[]).includes(raw)) throw new Invalid(`must be one of ${choices.join(', ')}`);
    return raw as T;
  };
}

function sinks(raw: string): SinkName[] | undefined {
  const names = raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (!names.length) return undefined;
  for (const n of names) if (!(SINK_NAMES as readonly string[]).includes(n)) throw new Invalid(`"${n}" is not a sink: use ${SINK_NAMES.join(', ')}`);
  return [...new Set(names)] as SinkName[];
}

const SETTINGS = {
  REDIS_URL: required(url('redis', 'rediss'), 'redis://127.0.0.1:6379', 'Redis holding the ingest stream'),
  DATABASE_URL: required(url('postgres', 'postgresql'), 'postgres://postgres@127.0.0.1:5432/logflow', 'PostgreSQL for projects and keys, and logs when the postgres sink is on; migrate creates the database'),
  OPENSEARCH_URL: optional(url('http', 'https'), 'OpenSearch for search; unset: no OpenSearch sink and search is served from PostgreSQL'),
  LOGFLOW_SINKS: optional(sinks, 'comma list of sinks the worker writes to; default: opensearch when OPENSEARCH_URL is set, postgres, file'),
  LOGFLOW_FILE_DIR: required(text, './data/logs', 'where the file sink appends <project_id>/<YYYY-MM-DD>.log'),
  LOGFLOW_HOST: required(text, '127.0.0.1', 'address the server listens on'),
  LOGFLOW_PORT: required(int(0, 65535), 8080, 'port the server listens on'),
  LOGFLOW_METRICS_PORT: optional(int(0, 65535), 'port logflow worker serves GET /metrics on, at LOGFLOW_HOST (--metrics-port); unset: none (the server serves GET /metrics on its own port)'),
  LOGFLOW_NAMESPACE: required(
    matching(/^[a-z0-9][a-z0-9_-]{0,40}$/, 'must be lowercase letters, digits, - or _'),
    'logflow',
    'prefix of Redis keys and OpenSearch index names, so several installations (or tests) can share one Redis and one OpenSearch',
  ),
  LOGFLOW_MAX_BODY_BYTES: required(int(1024, 1 << 30), 5 * 1024 * 1024, 'largest POST /logs body accepted, after gzip is undone'),
  LOGFLOW_SEARCH_TIMEOUT_MS: required(int(100, 3_600_000), 30_000, 'longest a search (GET /search, its histogram and fields) may run in its store before the store stops it and the server answers 504: one costly query must not hold the store for everyone'),
  LOGFLOW_REQUEST_TIMEOUT_MS: required(int(1000, 3_600_000), 30_000, 'longest a request may take to arrive, headers and body, before the server answers 408 and closes the connection (slow or stalled clients)'),
  LOGFLOW_MAX_BACKLOG: required(int(1, 1e9), 1_000_000, 'events kept in the stream (not yet acknowledged by every sink) above which ingest answers 429'),
  LOGFLOW_MAX_TAILS_PER_PROJECT: required(int(1, 10_000), 10, 'live tails (GET /tail: logflow search --follow, the page in Live) one project may have open on one server at once; one more is answered 429 until another closes'),
  // Per-project ingest limits (token buckets shared by every server through Redis), as Loki's
  // per-tenant limits; each project can set its own (logflow projects set). 0: no limit.
  LOGFLOW_INGESTION_RATE: required(bytes, 8 * 1024 * 1024, 'bytes of events per second a project may send on average, unless it sets its own (0: no limit)'),
  LOGFLOW_INGESTION_BURST_SIZE: required(bytes, 32 * 1024 * 1024, 'bytes of events a project may send at once above its rate'),
  LOGFLOW_INGESTION_EVENTS_RATE: required(int(0, 1e9), 20_000, 'events per second a project may send on average, unless it sets its own (0: no limit)'),
  LOGFLOW_INGESTION_EVENTS_BURST: required(int(0, 1e10), 100_000, 'events a project may send at once above its rate'),
  LOGFLOW_CLAIM_IDLE_MS: required(int(100, 86_400_000), 30_000, 'how long an entry stays with a silent worker before another worker claims it'),
  LOGFLOW_WORKER_BATCH: required(int(1, 10_000), 2000, 'events a worker reads and writes at a time, whatever stream entries hold them (one PostgreSQL COPY, one OpenSearch bulk request of at most 8 Mi characters)'),
  LOGFLOW_WORKER_IN_FLIGHT: required(int(1, 64), 4, 'batches each sink of a worker writes at once (the next read while the store works on the others)'),
  LOGFLOW_RETENTION_DAYS: required(
    int(1, MAX_RETENTION_DAYS),
    30,
    'days of logs every store keeps (today and that many whole UTC days before it), for projects without a retention of their own (logflow projects set NAME --retention 7d)',
  ),
  LOGFLOW_RETENTION_EVERY_MS: required(int(0, 7 * 86_400_000), 3_600_000, 'how often workers run retention (between them all, once); 0: workers leave it to logflow retention --now'),
  LOGFLOW_LOG_LEVEL: required(oneOf(LOG_LEVELS), 'info', 'level of LogFlow’s own logs (pino, on stderr)'),
  LOGFLOW_URL: required(url('http', 'https'), 'http://127.0.0.1:8080', 'server that ship and search talk to'),
  LOGFLOW_API_KEY: optional(trimmed, 'project API key for ship and search'),
  LOGFLOW_STATE_DIR: optional(text, 'where ship keeps checkpoints and its spool'),
};

type Specs = typeof SETTINGS;
export type Settings = { [K in keyof Specs]: ReturnType<Specs[K]['read']> };

/**
 * Reads settings from the environment, with overrides (from flags) taking precedence. Unknown
 * LOGFLOW_* variables are an error, so a typo never silently falls back to a default.
 */
export function loadSettings(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Record<keyof Settings, string | undefined>> = {}): Settings {
  const known = Object.keys(SETTINGS);
  const input: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || v === '') continue;
    if (known.includes(k) || k.startsWith('LOGFLOW_')) input[k] = v;
  }
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) input[k] = v;
  const unknown = Object.keys(input).filter((k) => !known.includes(k));
  if (unknown.length) throw new ConfigError(`unknown setting ${unknown.join(', ')}: LogFlow reads ${known.filter((k) => k.startsWith('LOGFLOW_')).join(', ')}`);
  const settings: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(SETTINGS) as [keyof Specs, Spec<unknown>][]) {
    try {
      settings[name] = spec.read(input[name]);
    } catch (err) {
      if (!(err instanceof Invalid)) throw err;
      throw new ConfigError(`${name} ${err.message} (got "${input[name]}"): ${spec.description}`);
    }
  }
  return settings as Settings;
}

/** The sinks a worker runs when none are named. */
export function defaultSinks(s: Settings): SinkName[] {
  return s.LOGFLOW_SINKS ?? (s.OPENSEARCH_URL ? ['opensearch', 'postgres', 'file'] : ['postgres', 'file']);
}
