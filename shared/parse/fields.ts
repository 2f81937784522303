// Turning one structured record (a JSON object's members, logfmt pairs, or decoded fields) into a
// ParsedLine: which keys carry the level, message, time and ids, and how their values become ours.
// The one table of field names: `logflow ship` reads lines with it, and the server reads every record
// that comes in with it (shared/normalize), so that `trace_id` or `ts` means the same thing wherever
// and however it arrives.
import { levelFromNumber, normalizeLevel, type Level } from '../levels.ts';
import { MAX_SHORT_TEXT } from '../limits.ts';
import { boundedJson, boundNesting, MAX_NESTING } from './nesting.ts';
import type { JsonMembers } from './json-members.ts';
import { jsonString } from './json-string.ts';
import { toIsoTime } from './time.ts';
import { cleanJsonEscapes } from './unicode.ts';

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
  /** The message came from a `log` field (Fluent Bit, Docker): a raw line an agent read, to be read in turn (see mergeRawLine). */
  rawLine?: string;
  /** The record named a level itself, rather than INFO being assumed (set with rawLine, and by FieldLifter.finish for the server). */
  levelStated?: boolean;
  /** The record's own time member as JSON text, kept in metadata when a raw line's own time is taken instead (set with rawLine). */
  timeMember?: string;
}

type LogRecord = Record<string, unknown>;

/** The server refuses service, host, env and ids longer than this. */
const MAX_SHORT = MAX_SHORT_TEXT;

// Where each field is read from, best first. A dotted name is read both as a literal key (ECS writes
// "log.level") and from a nested object ({"log":{"level":…}}). `at` is Heroku's level key; `name` is
// bunyan's (and pino's) service name; `log` is the raw line Fluent Bit and Docker send; `date` is
// Fluent Bit's time. span_id has no field of its own in an event: it is kept in metadata, under that name.
const FIELDS = [
  { name: 'level', keys: ['level', 'levelname', 'severity', 'log.level', 'lvl', 'at'], convert: toLevel },
  { name: 'message', keys: ['msg', 'message', 'event', 'log'], convert: toMessage },
  { name: 'timestamp', keys: ['time', 'timestamp', 'ts', '@timestamp', 'date'], convert: toIsoTime },
  { name: 'service', keys: ['service', 'service.name', 'name'], convert: toService },
  { name: 'trace_id', keys: ['trace_id', 'traceId', 'trace.id'], convert: toShortText },
  { name: 'span_id', keys: ['span_id', 'spanId', 'span.id'], convert: toShortText },
  { name: 'request_id', keys: ['request_id', 'requestId', 'req_id', 'reqId'], convert: toShortText },
  { name: 'host', keys: ['hostname', 'host', 'host.name'], convert: toShortText },
  { name: 'env', keys: ['env', 'environment'], convert: toShortText },
] as const;

const LEVEL = 0;
const MESSAGE = 1;
const TIME = 2;
const SPAN = 5;

/**
 * What a key can give: a field directly (at `rank`; Infinity when the key is only a parent), or, when
 * its value is an object, another field (`childField`) through its member `child`.
 */
interface Source {
  field: number;
  rank: number;
  child?: string;
  childField?: number;
  childRank?: number;
}

// One Map lookup per key of a line, rather than one property lookup per alias: this runs on every line.
const SOURCES = new Map<string, Source>();
FIELDS.forEach(({ keys }, field) => {
  keys.forEach((key, rank) => {
    if (key.includes('.')) return;
    SOURCES.set(key, { field, rank });
  });
});
FIELDS.forEach(({ keys }, field) => {
  keys.forEach((key, rank) => {
    const dot = key.indexOf('.');
    if (dot < 0) return;
    SOURCES.set(key, { field, rank });
    const parent = key.slice(0, dot);
    const direct = SOURCES.get(parent) ?? { field, rank: Infinity };
    SOURCES.set(parent, { ...direct, child: key.slice(dot + 1), childField: field, childRank: rank });
  });
});

const NO_VALUES: readonly unknown[] = FIELDS.map(() => undefined);
const NO_RANKS: readonly number[] = FIELDS.map(() => Infinity);

/**
 * Collects one record's keys, in the order the line has them: the well-known ones into fields, every
 * other key, and every well-known key whose value we could not use (a 300-character host, a level of
 * {}), into metadata, so no data is lost. Metadata is written as JSON text as keys come: a key given
 * twice is written twice, and a JSON reader keeps the last, as for the line itself. Values nested
 * deeper than MAX_NESTING levels keep their deep parts as JSON text (shared/parse/nesting.ts), and
 * NUL or lone surrogates written as \u escapes become U+FFFD: what comes out every store can hold.
 */
export class FieldLifter {
  private readonly values = NO_VALUES.slice();
  private readonly ranks = NO_RANKS.slice();
  /** The key each value came from, and its value as written (and as JSON text, for a JSON line), in case a better key displaces it. */
  private readonly keys = NO_VALUES.slice() as (string | undefined)[];
  private readonly raws = NO_VALUES.slice();
  private readonly members = NO_VALUES.slice() as (string | undefined)[];
  private metadata = '';
  private unreadTime_: { key: string; value: unknown; rank: number } | undefined;

  /** `liftMessage: false`: the message comes from elsewhere (a protocol's body), so message keys are data. */
  constructor(private readonly liftMessage = true) {}

  /** A key and its value (logfmt): a key that is not lifted is written to metadata as JSON. */
  add(key: string, value: string | true): void {
    const source = SOURCES.get(key);
    if (source === undefined || !this.offer(source, key, value, undefined)) this.keep(memberJson(key, value));
  }

  /** A key and a decoded value (an object a protocol decoder built): written to metadata as bounded JSON when not lifted. */
  addValue(key: string, value: unknown): void {
    if (value === undefined || typeof value === 'function') return;
    const source = SOURCES.get(key);
    if (source === undefined || !this.offer(source, key, value, undefined)) this.keep(memberJson(key, value));
  }

  /** Member `m` of a scanned JSON object: its value is only decoded when its key names a field. Pass `key` when already read. */
  addMember(line: string, members: JsonMembers, m: number, key = members.key(line, m)): void {
    const source = SOURCES.get(key);
    if (source !== undefined && this.offer(source, key, members.value(line, m), undefined, line, members, m)) return;
    this.keep(members.isPlain(m, MAX_NESTING) ? line.slice(members.keyStart(m), members.valueEnd(m)) : memberText(line, members, m, MAX_NESTING));
  }

  /** Metadata members written elsewhere (JSON text without braces), kept as they are. */
  addMetadata(members: string): void {
    if (members !== '') this.keep(members);
  }

  /** Whether a level, message or time was found. */
  has(field: 'level' | 'message' | 'timestamp'): boolean {
    return this.values[field === 'level' ? LEVEL : field === 'message' ? MESSAGE : TIME] !== undefined;
  }

  /** `line` becomes the message when the record has none: an empty message could never be searched. */
  finish(line: string): ParsedLine {
    const v = this.values as (string | undefined)[]; // indexed, not destructured: that would run an iterator
    const out: ParsedLine = { level: (v[LEVEL] as Level | undefined) ?? 'INFO', message: v[MESSAGE] ?? line };
    if (v[TIME] !== undefined) out.timestamp = v[TIME];
    if (v[3] !== undefined) out.service = v[3];
    if (v[4] !== undefined) out.trace_id = v[4];
    if (v[SPAN] !== undefined) this.keep(`"span_id":${jsonString(v[SPAN])}`);
    if (v[6] !== undefined) out.request_id = v[6];
    if (v[7] !== undefined) out.host = v[7];
    if (v[8] !== undefined) out.env = v[8];
    if (this.metadata !== '') out.metadata = this.metadata;
    if (this.keys[MESSAGE] === 'log') {
      out.rawLine = v[MESSAGE]!;
      out.levelStated = v[LEVEL] !== undefined;
      if (v[TIME] !== undefined) out.timeMember = this.memberOf(TIME);
    }
    return out;
  }

  /** Whether a level was named, for a caller that reads the message elsewhere (a protocol's raw line). */
  get levelStated(): boolean {
    return this.values[LEVEL] !== undefined;
  }

  /**
   * The best-ranked time field whose value is no time we can read, when no field gave a time: the
   * server names it when it refuses the record (`logflow ship` keeps it in metadata and uses the time read).
   */
  get unreadTime(): { key: string; value: unknown } | undefined {
    return this.values[TIME] === undefined && this.unreadTime_ !== undefined ? { key: this.unreadTime_.key, value: this.unreadTime_.value } : undefined;
  }

  /** The lifted time's member as JSON text (see ParsedLine.timeMember). */
  get timeMember(): string | undefined {
    return this.values[TIME] === undefined ? undefined : this.memberOf(TIME);
  }

  private memberOf(field: number): string {
    return this.members[field] ?? memberJson(this.keys[field]!, this.raws[field]);
  }

  private keep(member: string): void {
    this.metadata = this.metadata === '' ? member : `${this.metadata},${member}`;
  }

  /**
   * Takes the value when it converts and no better-ranked key gave one; true when `key` is used up.
   * For a JSON member, its text is cut out only when it is taken (or displaced later).
   */
  private offer(source: Source, key: string, value: unknown, member: string | undefined, line?: string, members?: JsonMembers, m?: number): boolean {
    if (source.child !== undefined && value !== null && typeof value === 'object') {
      // The parent object may carry more than this one field (ECS `log.logger`), so it stays in metadata.
      const field = source.childField!;
      if (source.childRank! < this.ranks[field]!) this.take(field, source.childRank!, undefined, (value as LogRecord)[source.child], undefined);
      return false;
    }
    const { field } = source;
    if (field === MESSAGE && !this.liftMessage) return false;
    // The same key again ranks equal and wins, as the last duplicate does in JSON.parse.
    if (!(source.rank <= this.ranks[field]!)) return false;
    if (!this.take(field, source.rank, key, value, member)) return false;
    if (line !== undefined) this.members[field] = members!.isPlain(m!, MAX_NESTING) ? line.slice(members!.keyStart(m!), members!.valueEnd(m!)) : memberText(line, members!, m!, MAX_NESTING);
    return true;
  }

  private take(field: number, rank: number, key: string | undefined, raw: unknown, member: string | undefined): boolean {
    const value = FIELDS[field]!.convert(raw);
    if (value === undefined) {
      if (field === TIME && key !== undefined && raw !== undefined && rank < (this.unreadTime_?.rank ?? Infinity)) this.unreadTime_ = { key, value: raw, rank };
      return false;
    }
    const displaced = this.keys[field];
    // Rare: a better-ranked key (msg after message) replaced one we had taken, which is data after all.
    if (displaced !== undefined && displaced !== key) this.keep(this.memberOf(field));
    this.values[field] = value;
    this.ranks[field] = rank;
    this.keys[field] = key;
    this.raws[field] = raw;
    this.members[field] = member;
    return true;
  }
}

/** Member `m` of a scanned object as JSON text, bounded in depth and with the escapes no store takes replaced. */
function memberText(line: string, members: JsonMembers, m: number, maxNesting: number): string {
  let text = line.slice(members.keyStart(m), members.valueEnd(m));
  if (members.tooDeep(m, maxNesting)) {
    const valueAt = members.valueStart(m) - members.keyStart(m);
    text = text.slice(0, valueAt) + boundNesting(text.slice(valueAt), maxNesting);
  }
  return members.hasUnicodeEscape(m) ? cleanJsonEscapes(text) : text;
}

/** `"key":value` as JSON text, for a decoded value: bounded in depth, strings made storable (see boundedJson). */
export function memberJson(key: string, value: unknown): string {
  return `${jsonString(key)}:${value === true ? 'true' : typeof value === 'string' ? jsonString(value) : boundedJson(value, MAX_NESTING)}`;
}

// eslint-disable-next-line no-control-regex -- matching terminal colour codes is the point
const ANSI_COLOUR = /\u001b\[[0-9;]*m/g;
const LEVEL_NUMBER = /^\d{1,3}$/;

export function toLevel(value: unknown): Level | undefined {
  if (typeof value === 'number') return levelFromNumber(value);
  if (typeof value !== 'string' || value.length > 32) return undefined;
  const name = value.charCodeAt(0) === 27 ? value.replace(ANSI_COLOUR, '') : value; // winston colorize()
  const level = normalizeLevel(name);
  if (level !== undefined) return level;
  if (LEVEL_NUMBER.test(name)) return levelFromNumber(Number(name));
  // Go slog writes levels between the named ones as "WARN+2" or "DEBUG-4".
  const sign = name.search(/[+-]\d+$/);
  return sign > 0 ? normalizeLevel(name.slice(0, sign)) : undefined;
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
