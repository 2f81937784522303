// Turning one structured record (a parsed JSON line or logfmt pairs) into a ParsedLine: which keys
// carry the level, message, time and ids, and how their values become ours. JSON and logfmt share it
// so that `trace_id` means the same thing whichever way a service writes its logs.
import { levelFromNumber, normalizeLevel, type Level } from '../levels.ts';
import { MAX_SHORT_TEXT } from '../limits.ts';
import type { JsonMembers } from './json-members.ts';
import { jsonString } from './json-string.ts';
import { toIsoTime } from './time.ts';

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
  /**
   * Every other key of the record, as the members of a JSON object without its braces
   * (`"pid":4821,"req":{"url":"/"}`): JSON lines keep the text they were written with.
   */
  metadata?: string;
}

type LogRecord = Record<string, unknown>;

/** The server refuses service, host, env and ids longer than this. */
const MAX_SHORT = MAX_SHORT_TEXT;

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

const NO_VALUES: readonly unknown[] = FIELDS.map(() => undefined);
const NO_RANKS: readonly number[] = FIELDS.map(() => Infinity);

/**
 * Collects one record's keys, in the order the line has them: the well-known ones into fields, every
 * other key, and every well-known key whose value we could not use (a 300-character host, a level of
 * {}), into metadata, so no data is lost. Metadata is written as JSON text as keys come: a key given
 * twice is written twice, and a JSON reader keeps the last, as for the line itself.
 */
export class FieldLifter {
  private readonly values = NO_VALUES.slice();
  private readonly ranks = NO_RANKS.slice();
  /** The key each value came from, and its value as written (and as JSON text, for a JSON line), in case a better key displaces it. */
  private readonly keys = NO_VALUES.slice() as (string | undefined)[];
  private readonly raws = NO_VALUES.slice();
  private readonly members = NO_VALUES.slice() as (string | undefined)[];
  private metadata = '';

  /** A key and its value (logfmt): a key that is not lifted is written to metadata as JSON. */
  add(key: string, value: string | true): void {
    const source = SOURCES.get(key);
    if (source === undefined || !this.offer(source, key, value, undefined)) this.keep(memberJson(key, value));
  }

  /** Member `m` of a scanned JSON object: its value is only decoded when its key names a field. */
  addMember(line: string, members: JsonMembers, m: number): void {
    const key = members.key(line, m);
    const member = line.slice(members.keyStart(m), members.valueEnd(m));
    const source = SOURCES.get(key);
    if (source === undefined || !this.offer(source, key, members.value(line, m), member)) this.keep(member);
  }

  /** `line` becomes the message when the record has none: an empty message could never be searched. */
  finish(line: string): ParsedLine {
    const v = this.values as (string | undefined)[]; // indexed, not destructured: that would run an iterator
    const out: ParsedLine = { level: (v[0] as Level | undefined) ?? 'INFO', message: v[1] ?? line };
    if (v[2] !== undefined) out.timestamp = v[2];
    if (v[3] !== undefined) out.service = v[3];
    if (v[4] !== undefined) out.trace_id = v[4];
    if (v[5] !== undefined) out.request_id = v[5];
    if (v[6] !== undefined) out.host = v[6];
    if (v[7] !== undefined) out.env = v[7];
    if (this.metadata !== '') out.metadata = this.metadata;
    return out;
  }

  private keep(member: string): void {
    this.metadata = this.metadata === '' ? member : `${this.metadata},${member}`;
  }

  /**
   * Takes the value when it converts and no better-ranked key gave one; true when `key` is used up.
   * `member` is the key and value as JSON text when the line is JSON (logfmt's is written if needed).
   */
  private offer(source: Source, key: string, value: unknown, member: string | undefined): boolean {
    const { field } = source;
    if (source.child !== undefined && value !== null && typeof value === 'object') {
      // The parent object may carry more than this one field (ECS `log.logger`), so it stays in metadata.
      if (source.childRank! < this.ranks[field]!) this.take(field, source.childRank!, undefined, (value as LogRecord)[source.child], undefined);
      return false;
    }
    // The same key again ranks equal and wins, as the last duplicate does in JSON.parse.
    return source.rank <= this.ranks[field]! && this.take(field, source.rank, key, value, member);
  }

  private take(field: number, rank: number, key: string | undefined, raw: unknown, member: string | undefined): boolean {
    const value = FIELDS[field]!.convert(raw);
    if (value === undefined) return false;
    const displaced = this.keys[field];
    // Rare: a better-ranked key (msg after message) replaced one we had taken, which is data after all.
    if (displaced !== undefined && displaced !== key) this.keep(this.members[field] ?? memberJson(displaced, this.raws[field] as string | true));
    this.values[field] = value;
    this.ranks[field] = rank;
    this.keys[field] = key;
    this.raws[field] = raw;
    this.members[field] = member;
    return true;
  }
}

function memberJson(key: string, value: string | true): string {
  return `${jsonString(key)}:${value === true ? 'true' : jsonString(value)}`;
}

// winston's npm levels that shared/levels.ts does not know.
const EXTRA_LEVELS = new Map<string, Level>([['http', 'INFO'], ['silly', 'DEBUG']]);
// eslint-disable-next-line no-control-regex -- matching terminal colour codes is the point
const ANSI_COLOUR = /\u001b\[[0-9;]*m/g;

export function toLevel(value: unknown): Level | undefined {
  // pino and bunyan write 10..60; other numbers (syslog's 0..7, where lower is worse) mean something else.
  if (typeof value === 'number') return value >= 10 && value <= 60 ? levelFromNumber(value) : undefined;
  if (typeof value !== 'string' || value.length > 32) return undefined;
  const name = value.charCodeAt(0) === 27 ? value.replace(ANSI_COLOUR, '') : value; // winston colorize()
  const level = levelNamed(name);
  if (level !== undefined) return level;
  // Go slog writes levels between the named ones as "WARN+2" or "DEBUG-4".
  const sign = name.search(/[+-]\d+$/);
  if (sign > 0) return levelNamed(name.slice(0, sign));
  return EXTRA_LEVELS.get(name.toLowerCase());
}

/**
 * normalizeLevel, except for the names a plain object inherits: its alias table answers
 * "constructor" with a function and "__proto__" with an object, which a log line must not become.
 */
export function levelNamed(name: string): Level | undefined {
  const level = normalizeLevel(name);
  return typeof level === 'string' ? level : undefined;
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
