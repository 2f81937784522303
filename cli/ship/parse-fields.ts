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

interface Alias {
  key: string;
  /** For "trace.id": ECS writes the dotted key literally or nests {"trace":{"id":…}}; we read both. */
  parent?: string;
  child?: string;
}

function aliases(...keys: string[]): readonly Alias[] {
  return keys.map((key) => {
    const dot = key.indexOf('.');
    return dot > 0 ? { key, parent: key.slice(0, dot), child: key.slice(dot + 1) } : { key };
  });
}

// Best first. `at` is Heroku's level key; `name` is bunyan's (and pino's) service name.
const LEVEL_KEYS = aliases('level', 'levelname', 'severity', 'log.level', 'lvl', 'at');
const MESSAGE_KEYS = aliases('msg', 'message', 'event');
const TIME_KEYS = aliases('time', 'timestamp', 'ts', '@timestamp');
const SERVICE_KEYS = aliases('service', 'service.name', 'name');
const TRACE_KEYS = aliases('trace_id', 'traceId', 'trace.id');
const REQUEST_KEYS = aliases('request_id', 'requestId', 'req_id', 'reqId');
const HOST_KEYS = aliases('hostname', 'host');
const ENV_KEYS = aliases('env', 'environment');

/**
 * Lifts the well-known keys out of a record; every other key, and every well-known key whose value we
 * could not use (a 300-character host, a level of {}), stays in metadata so no data is lost.
 * `line` becomes the message when the record has none: an empty message could never be searched.
 */
export function liftFields(rec: LogRecord, line: string): ParsedLine {
  const used: string[] = [];
  const out: ParsedLine = {
    level: lift(rec, LEVEL_KEYS, toLevel, used) ?? 'INFO',
    message: lift(rec, MESSAGE_KEYS, toMessage, used) ?? line,
  };
  const timestamp = lift(rec, TIME_KEYS, toIsoTime, used);
  if (timestamp !== undefined) out.timestamp = timestamp;
  const service = lift(rec, SERVICE_KEYS, toService, used);
  if (service !== undefined) out.service = service;
  const traceId = lift(rec, TRACE_KEYS, toShortText, used);
  if (traceId !== undefined) out.trace_id = traceId;
  const requestId = lift(rec, REQUEST_KEYS, toShortText, used);
  if (requestId !== undefined) out.request_id = requestId;
  const host = lift(rec, HOST_KEYS, toShortText, used);
  if (host !== undefined) out.host = host;
  const env = lift(rec, ENV_KEYS, toShortText, used);
  if (env !== undefined) out.env = env;
  const metadata = remainder(rec, used);
  if (metadata !== undefined) out.metadata = metadata;
  return out;
}

/** The first alias whose value converts; a literal key is marked used, a nested one is left whole. */
function lift<T>(rec: LogRecord, keys: readonly Alias[], convert: (v: unknown) => T | undefined, used: string[]): T | undefined {
  for (const alias of keys) {
    const own = rec[alias.key];
    if (own !== undefined) {
      const value = convert(own);
      if (value !== undefined) {
        used.push(alias.key);
        return value;
      }
    } else if (alias.parent !== undefined) {
      // The parent object may carry more than this one field (ECS `log.logger`), so it stays in metadata.
      const parent = rec[alias.parent];
      if (parent !== null && typeof parent === 'object') {
        const value = convert((parent as LogRecord)[alias.child!]);
        if (value !== undefined) return value;
      }
    }
  }
  return undefined;
}

function remainder(rec: LogRecord, used: readonly string[]): LogRecord | undefined {
  let metadata: LogRecord | undefined;
  for (const key of Object.keys(rec)) {
    if (used.includes(key)) continue;
    metadata ??= {};
    setOwn(metadata, key, rec[key]);
  }
  return metadata;
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
