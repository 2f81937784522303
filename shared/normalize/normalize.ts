// The one normalisation: a record as a protocol decoder read it (shared/normalize/record.ts) becomes the
// meaning of an event, or a refusal whose reason says what was wrong and what to send instead. Field
// names, levels and times are read by shared/parse, exactly as `logflow ship` reads a line, so a field
// means the same wherever it arrives. What comes out every configured store can hold: no NUL or lone
// surrogate, nothing nested past MAX_NESTING, a message within MAX_MESSAGE_BYTES, a time from 1970-01-01
// to a day ahead of the server's clock (the range of OpenSearch's date_nanos, the narrowest a store of
// ours may use, and far inside PostgreSQL's and JavaScript's).
import { MAX_FUTURE_MS, MAX_MESSAGE_BYTES, MAX_SHORT_TEXT } from '../limits.ts';
import { FieldLifter, memberJson, type ParsedLine } from '../parse/fields.ts';
import { JsonMembers, ValueKind } from '../parse/json-members.ts';
import { jsonString } from '../parse/json-string.ts';
import { mergeRawLine, parseLine, withoutNewline } from '../parse/line.ts';
import { boundedJson, boundNesting, MAX_NESTING } from '../parse/nesting.ts';
import { formatIso } from '../parse/time.ts';
import { cleanJsonEscapes, wellFormed } from '../parse/unicode.ts';
import type { IngestRecord, NormalEvent, Normalized, RecordDefaults } from './record.ts';
import { show, timeRefusal } from './reasons.ts';

/** The service of a record that names none and arrives without a default: OpenTelemetry's name for it, as Loki uses too. */
export const UNKNOWN_SERVICE = 'unknown_service';
/** Metadata of an event whose record named no time: it carries the time the server received it. */
export const RECEIVED_MARK = '"timestamp_source":"received"';

const EVENT_ID = /^[\x21-\x7e]{1,200}$/;
const NO_SHORT_TEXT = MAX_SHORT_TEXT + 1;
// One scanner for every record: it keeps only numbers, reused from record to record.
const members = new JsonMembers();

/** What a record says for itself besides its fields: its own id, and the members of its `metadata` object. */
interface Own {
  id: unknown;
  metadata: string;
}

/** Turns one record into an event's meaning; `receivedMs` is the server's clock when the request came. */
export function normalizeRecord(record: IngestRecord, defaults: RecordDefaults, receivedMs: number): Normalized {
  if (record.invalid !== undefined) return { ok: false, reason: record.invalid, class: 'unreadable' };
  const lifter = new FieldLifter(record.line === undefined);
  const own: Own = { id: record.id, metadata: '' };
  if (record.json !== undefined && !readJson(record.json, lifter, own)) {
    return { ok: false, reason: `an event must be a JSON object, such as {"message":"payment failed","level":"error"}; this is not one: ${show(record.json)}`, class: 'unreadable' };
  }
  if (record.fields !== undefined) readFields(record.fields, lifter, own);
  if (record.fieldList !== undefined) readFieldList(record.fieldList, lifter, own);
  const parsed = readMessage(record, lifter);

  const time = timeOf(record, parsed, lifter, receivedMs);
  if (typeof time === 'string') return { ok: false, reason: time, class: 'time' };
  const id = eventIdOf(own.id);
  if (id instanceof Error) return { ok: false, reason: id.message, class: 'event_id' };

  let metadata = '';
  const keep = (member: string) => (metadata = metadata === '' ? member : `${metadata},${member}`);
  if (record.labels !== undefined) {
    const labels = labelsJson(record.labels);
    if (labels !== '') keep(labels);
  }
  if (parsed.metadata !== undefined) keep(parsed.metadata);
  if (own.metadata !== '') keep(own.metadata);
  const event: NormalEvent = { timestamp: time.iso, service: UNKNOWN_SERVICE, level: record.level ?? parsed.level, message: '', metadata: '' };
  event.service = shortText(record.service, 'service', keep) ?? clean(parsed.service) ?? defaults.service ?? clean(record.fallbackService) ?? UNKNOWN_SERVICE;
  setShort(event, 'trace_id', shortText(record.traceId, 'trace_id', keep) ?? parsed.trace_id);
  setShort(event, 'request_id', parsed.request_id);
  setShort(event, 'host', parsed.host);
  setShort(event, 'env', parsed.env);
  const span = shortText(record.spanId, 'span_id', keep);
  if (span !== undefined) keep(`"span_id":${jsonString(span)}`);
  if (time.received) keep(RECEIVED_MARK);
  event.message = messageOf(parsed.message, keep);
  // One look over the whole text: members written by jsonString (logfmt values, labels, raw lines) may
  // hold \u0000 or a lone surrogate's escape, which PostgreSQL's jsonb refuses.
  event.metadata = metadata.includes('\\u') ? cleanJsonEscapes(metadata) : metadata;
  if (id !== undefined) event.event_id = id;
  // A record that names no time cannot be told from the same record sent a minute later on purpose (a
  // heartbeat): it has no identity, and ingest gives it a random id.
  else if (!time.received) event.identity = identityOf(record, event, lifter.timeMember);
  return { ok: true, event };
}

/** Members of a JSON record to the lifter; false when the text is not one JSON object. */
function readJson(text: string, lifter: FieldLifter, own: Own): boolean {
  if (!members.scan(text)) return false;
  for (let m = 0; m < members.count; m++) {
    const key = members.key(text, m);
    if (key === 'metadata' && members.kind(m) === ValueKind.Object) own.metadata = joinMembers(own.metadata, objectMembers(text, m));
    else if (key === 'event_id') own.id = members.value(text, m);
    else if (key !== 'ingest_ts' && key !== 'project_id') lifter.addMember(text, members, m, key);
    // ingest_ts and project_id are the server's to set: a copy sent back (an export re-imported) is dropped.
  }
  return true;
}

/** The members of object member `m`, without its braces: its own values may nest MAX_NESTING deep, as any metadata value. */
function objectMembers(text: string, m: number): string {
  let value = text.slice(members.valueStart(m), members.valueEnd(m));
  if (members.tooDeep(m, MAX_NESTING + 1)) value = boundNesting(value, MAX_NESTING + 1);
  if (members.hasUnicodeEscape(m)) value = cleanJsonEscapes(value);
  return value.slice(1, -1).trim();
}

function readFields(fields: Record<string, unknown>, lifter: FieldLifter, own: Own): void {
  for (const key of Object.keys(fields)) readField(key, fields[key], lifter, own);
}

function readField(key: string, value: unknown, lifter: FieldLifter, own: Own): void {
  if (key === 'metadata' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const k of Object.keys(value)) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) own.metadata = joinMembers(own.metadata, memberJson(k, v));
    }
  } else if (key === 'event_id') own.id = value;
  else if (key !== 'ingest_ts' && key !== 'project_id') lifter.addValue(key, value);
}

function readFieldList(list: unknown[], lifter: FieldLifter, own: Own): void {
  for (let i = 0; i + 1 < list.length; i += 2) {
    const key = list[i];
    if (typeof key === 'string') readField(key, list[i + 1], lifter, own);
  }
}

/** Every field of a record as one object, for the text a record without a message is searched by (rare: no need to be quick). */
function fieldsObject(record: IngestRecord): Record<string, unknown> {
  const out: Record<string, unknown> = { ...record.fields };
  const list = record.fieldList ?? [];
  for (let i = 0; i + 1 < list.length; i += 2) if (typeof list[i] === 'string') Object.defineProperty(out, list[i] as string, { value: list[i + 1], enumerable: true, writable: true, configurable: true });
  return out;
}

// A stream's labels (a resource's attributes) are one object shared by all of its records: written once.
const labelsText = new WeakMap<Record<string, unknown>, string>();

/** The labels as JSON members without braces; a decoder must not change a labels object once it handed it over. */
function labelsJson(labels: Record<string, unknown>): string {
  let text = labelsText.get(labels);
  if (text === undefined) {
    text = '';
    for (const key of Object.keys(labels)) if (labels[key] !== undefined) text = joinMembers(text, memberJson(key, labels[key]));
    labelsText.set(labels, text);
  }
  return text;
}

function joinMembers(a: string, b: string): string {
  return a === '' ? b : b === '' ? a : `${a},${b}`;
}

/**
 * The message, and what a raw line says: a protocol's line is read as `logflow ship` reads one, as is a
 * record's `log` field when it has no other message (Fluent Bit, Docker).
 */
function readMessage(record: IngestRecord, lifter: FieldLifter): ParsedLine {
  if (record.line !== undefined) {
    const outer = lifter.finish('');
    outer.levelStated = lifter.levelStated;
    const timeMember = lifter.timeMember;
    if (timeMember !== undefined) outer.timeMember = timeMember;
    return mergeRawLine(outer, parseLine(withoutNewline(record.line)));
  }
  // A record with no message is searched by its whole text, as `logflow ship` does for a JSON line.
  const parsed = lifter.finish(record.json ?? (record.fields !== undefined || record.fieldList !== undefined ? boundedJson(fieldsObject(record), MAX_NESTING) : ''));
  return parsed.rawLine === undefined ? parsed : mergeRawLine(parsed, parseLine(withoutNewline(parsed.rawLine)));
}

/** The event's time, or why it cannot be stored. */
function timeOf(record: IngestRecord, parsed: ParsedLine, lifter: FieldLifter, receivedMs: number): { iso: string; received: boolean } | string {
  const latest = latestIso(receivedMs);
  let iso = parsed.timestamp;
  let received = false;
  if (iso === undefined) {
    let ms: number;
    if (record.timeUnixNano !== undefined && record.timeUnixNano > 0n) {
      ms = Number(record.timeUnixNano / 1_000_000n);
    } else {
      const unread = lifter.unreadTime;
      if (unread !== undefined) return timeRefusal(unread.key, unread.value);
      ms = receivedMs;
      received = true;
    }
    iso = formatIso(ms) ?? (ms < 0 ? '-' : '+');
  }
  // Both are Date#toISOString's form, so text order is time order (no second parse of every time):
  // a year before 0 starts with "-", one past 9999 with "+".
  if (iso < EPOCH_ISO) {
    if (iso.charCodeAt(0) !== 43 /* + */) return `the event's time ${iso} is before 1970-01-01, which LogFlow does not store: send the time the event happened (ISO 8601, such as 2026-11-01T10:00:00Z), or none to have the time received used`;
  } else if (iso <= latest) {
    return { iso, received };
  }
  return `the event's time ${iso} is more than a day after the server's clock: check the sender's clock, or the unit of an epoch number (seconds, milliseconds, microseconds and nanoseconds are told apart by size)`;
}

const EPOCH_ISO = '1970-01-01T00:00:00.000Z';
let latestFor = Number.NaN;
let latest = '';

/** The latest time accepted, as ISO text, for the clock of a request: once per request, not per record. */
function latestIso(receivedMs: number): string {
  if (receivedMs !== latestFor) {
    latest = new Date(receivedMs + MAX_FUTURE_MS).toISOString();
    latestFor = receivedMs;
  }
  return latest;
}

function eventIdOf(value: unknown): string | undefined | Error {
  if (value === undefined || value === null) return undefined;
  const id = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof id === 'string' && EVENT_ID.test(id)) return id;
  const shown = typeof id === 'string' ? JSON.stringify(id.slice(0, 40)) : typeof id;
  return new Error(`event_id must be 1-200 printable ASCII characters without spaces (got ${shown}): fix it, or leave it out and an id is derived from the event`);
}

/** A value a decoder named for a short field: used when it fits, otherwise kept in metadata under that name. */
function shortText(value: string | undefined, name: string, keep: (member: string) => void): string | undefined {
  if (value === undefined) return undefined;
  const text = clean(value);
  if (text !== undefined && text.length < NO_SHORT_TEXT && text.trim() !== '') return text;
  keep(memberJson(name, value));
  return undefined;
}

function setShort(event: NormalEvent, name: 'trace_id' | 'request_id' | 'host' | 'env', value: string | undefined): void {
  if (value !== undefined) event[name] = wellFormed(value);
}

function clean(value: string | undefined): string | undefined {
  return value === undefined ? undefined : wellFormed(value);
}

/** The message, storable and at most MAX_MESSAGE_BYTES: a longer one is cut there (never mid-character) and marked, as `logflow ship` cuts a long line. */
function messageOf(message: string, keep: (member: string) => void): string {
  const text = wellFormed(message);
  if (text.length * 3 <= MAX_MESSAGE_BYTES) return text;
  const bytes = Buffer.byteLength(text);
  if (bytes <= MAX_MESSAGE_BYTES) return text;
  let cut = Buffer.from(text).subarray(0, MAX_MESSAGE_BYTES).toString('utf8');
  if (cut.endsWith('\ufffd') && !text.startsWith(cut)) cut = cut.slice(0, -1); // a character cut in two
  keep(`"truncated":true,"message_bytes":${bytes}`);
  return cut;
}

/**
 * What the event is, as it came, for the id of a record that has none: a JSON record's own text (its
 * time as written, to the nanosecond); otherwise the record's line and protocol time, its time field as
 * written and everything read from it. Never the time received: a retry must find the same id.
 */
function identityOf(record: IngestRecord, event: NormalEvent, timeMember: string | undefined): string {
  if (onlyJson(record)) return record.fallbackService === undefined ? record.json! : `${record.fallbackService}\n${record.json}`;
  return [record.json ?? '', record.line ?? '', record.timeUnixNano ?? '', timeMember ?? '', event.service, event.level, event.trace_id ?? '', event.request_id ?? '', event.host ?? '', event.env ?? '', event.message, event.metadata].join('\n');
}

function onlyJson(record: IngestRecord): boolean {
  return record.json !== undefined && record.fields === undefined && record.fieldList === undefined && record.line === undefined && record.labels === undefined && record.timeUnixNano === undefined &&
    record.level === undefined && record.service === undefined && record.traceId === undefined && record.spanId === undefined;
}
