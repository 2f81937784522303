// Turning one structured record (a parsed JSON line or logfmt pairs) into a ParsedLine: which keys
// carry the level, message, time and ids, and how their values become ours. JSON and logfmt share it
// so that `trace_id` means the same thing whichever way a service writes its logs.
import { levelFromNumber, normalizeLevel, type Level } from '../../shared/levels.ts';
import { toIsoTime } from './parse-time.ts';

export type LineFormat = 'auto' | 'json' | 'logfmt' | 'text';

export interface ParsedLine {
  /** ISO 8601 UTC, as Date#toISOString writes it. Absent when the line names no time we can read. */
  timestamp?: string;
  level: Level;
  message: string;
  service?: string;
  trace_id?: string;
  request_id?: string;
  host?: string;
  env?: string;
  metadata?: Record<string, unknown>;
}

export type LogRecord = Record<string, unknown>;

/** The server refuses service, host, env and ids longer than this (shared/event.ts). */
const MAX_SHORT = 256;

// Where each field is read from, best first. A dotted name is read both as a literal key (ECS writes
// "log.level") and from a nested object ({"log":{"level":…}}). `at` is Heroku's level key; `name` is
// bunyan's (and pino's) service name.
const FIELDS = [
  { name: 'level', keys: ['level', 'levelname', 'severity', 'log.level', 'lvl', 'at'], convert: toLevel },
  { name: 'message', keys: ['msg', 'message', 'event'], convert: toMessage },
  { name: 'timestamp', keys: ['time', 'timestamp', 'ts', '@timestamp'], convert: toIsoTime },
  { name: 'service', keys: ['service', 'service.name', 'name'], convert: toService },
  { name: 'trace_id', keys: ['trace_id', 'traceId', 'trace.id'], convert: toShortText },
  { name: 'request_id', keys: ['request_id', 'requestId', 'req_id', 'reqId'], convert: toShortText },
  { name: 'host', keys: ['hostname', 'host'], convert: toShortText },
  { name: 'env', keys: ['env', 'environment'], convert: toShortText },
] as const;

/** What a key can give: a field directly (at `rank`), or through `child` when its value is an object. */
interface Source {
  field: number;
  rank: number;
  child?: string;
  childRank?: number;
}

// One Map lookup per key of a line, rather than one property lookup per alias: this runs on every line.
const SOURCES = new Map<string, Source>();
FIELDS.forEach(({ keys }, field) => {
  keys.forEach((key, rank) => {
    SOURCES.set(key, { field, rank });
    const dot = key.indexOf('.');
    if (dot > 0) {
      const parent = key.slice(0, dot);
      const direct = SOURCES.get(parent) ?? { field, rank: Infinity };
      SOURCES.set(parent, { ...direct, child: key.slice(dot + 1), childRank: rank });
    }
  });
});

/** What one record gave so far. */
class Found {
  readonly values: unknown[] = FIELDS.map(() => undefined);
  readonly ranks: number[] = FIELDS.map(() => Infinity);
  /** The key each value came from, kept out of metadata; undefined when read from a nested object. */
  readonly keys: (string | undefined)[] = FIELDS.map(() => undefined);

  reset(): this {
    this.values.fill(undefined);
    this.ranks.fill(Infinity);
    this.keys.fill(undefined);
    return this;
  }
}
// One instance for every line: it is reset on entry, and nothing liftFields calls can call it back.
const scratch = new Found();

/**
 * Lifts the well-known keys out of a record; every other key, and every well-known key whose value we
 * could not use (a 300-character host, a level of {}), stays in metadata so no data is lost.
 * `line` becomes the message when the record has none: an empty message could never be searched.
 */
export function liftFields(rec: LogRecord, line: string): ParsedLine {
  const found = scratch.reset();
  let metadata: LogRecord | undefined;
  // for-in is V8's fastest walk over a plain object's keys; JSON.parse and readPairs make plain objects.
  for (const key in rec) {
    const value = rec[key];
    const source = SOURCES.get(key);
    if (source !== undefined) {
      const before = found.keys[source.field];
      const used = offer(found, source, key, value);
      // Rare: a better-ranked key (msg after message) replaced one we had taken, which is data after all.
      if (before !== undefined && found.keys[source.field] !== before) {
        metadata ??= {};
        setOwn(metadata, before, rec[before]);
      }
      if (used) continue;
    }
    metadata ??= {};
    setOwn(metadata, key, value);
  }
  const [level, message, timestamp, service, traceId, requestId, host, env] = found.values as [Level?, string?, string?, string?, string?, string?, string?, string?];
  const out: ParsedLine = { level: level ?? 'INFO', message: message ?? line };
  if (timestamp !== undefined) out.timestamp = timestamp;
  if (service !== undefined) out.service = service;
  if (traceId !== undefined) out.trace_id = traceId;
  if (requestId !== undefined) out.request_id = requestId;
  if (host !== undefined) out.host = host;
  if (env !== undefined) out.env = env;
  if (metadata !== undefined) out.metadata = metadata;
  return out;
}

/** Takes `value` for its field when it converts and no better-ranked key gave one; true when `key` is used up. */
function offer(found: Found, source: Source, key: string, value: unknown): boolean {
  const { field } = source;
  if (source.child !== undefined && value !== null && typeof value === 'object') {
    // The parent object may carry more than this one field (ECS `log.logger`), so it stays in metadata.
    if (source.childRank! < found.ranks[field]!) take(found, field, source.childRank!, undefined, (value as LogRecord)[source.child]);
    return false;
  }
  return source.rank < found.ranks[field]! && take(found, field, source.rank, key, value);
}

function take(found: Found, field: number, rank: number, key: string | undefined, raw: unknown): boolean {
  const value = FIELDS[field]!.convert(raw);
  if (value === undefined) return false;
  found.values[field] = value;
  found.ranks[field] = rank;
  found.keys[field] = key;
  return true;
}

/**
 * `obj[key] = value`, except that a key named `__proto__` becomes an ordinary property: plain
 * assignment would call the prototype setter and let a log line change what the object inherits.
 */
export function setOwn(obj: LogRecord, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

// winston's npm levels that shared/levels.ts does not know.
const EXTRA_LEVELS: Readonly<Record<string, Level>> = { http: 'INFO', silly: 'DEBUG' };
// eslint-disable-next-line no-control-regex -- matching terminal colour codes is the point
const ANSI_COLOUR = /\u001b\[[0-9;]*m/g;

export function toLevel(value: unknown): Level | undefined {
  // pino and bunyan write 10..60; other numbers (syslog's 0..7, where lower is worse) mean something else.
  if (typeof value === 'number') return value >= 10 && value <= 60 ? levelFromNumber(value) : undefined;
  if (typeof value !== 'string' || value.length > 32) return undefined;
  const name = value.charCodeAt(0) === 27 ? value.replace(ANSI_COLOUR, '') : value; // winston colorize()
  const level = normalizeLevel(name);
  if (level !== undefined) return level;
  // Go slog writes levels between the named ones as "WARN+2" or "DEBUG-4".
  const sign = name.search(/[+-]\d+$/);
  if (sign > 0) return normalizeLevel(name.slice(0, sign));
  return EXTRA_LEVELS[name.toLowerCase()];
}

function toMessage(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A value the server takes for service, host, env or an id: a non-blank string of at most 256 characters. */
function toShortText(value: unknown): string | undefined {
  return typeof value === 'string' && value.length <= MAX_SHORT && value.trim() !== '' ? value : undefined;
}

// Heroku's router writes `service=15ms`: a duration, not the name of a service.
const DURATION = /^\d+(?:\.\d+)?m?s$/;

function toService(value: unknown): string | undefined {
  const text = toShortText(value);
  if (text === undefined) return undefined;
  const first = text.charCodeAt(0);
  return first >= 48 && first <= 57 && DURATION.test(text) ? undefined : text;
}
