// An OTLP logs export, decoded from protobuf or JSON (the two share field names: otlp-schema.ts), into
// the records the one ingest path reads. What OTLP states apart from a record's attributes is passed
// as the protocol's word: resource `service.name` as the service, severityNumber (else severityText)
// as the level, timeUnixNano (else observedTimeUnixNano) as the time, traceId and spanId as hex. A
// string body is a raw line, read as `logflow ship` reads one; any other body is its JSON text, read
// the same way (a map body's `message` is the message, its other keys metadata). Resource attributes
// and the scope's name are the record's source (metadata, and part of its derived id); its own
// attributes are fields, read with the names every protocol shares (`request_id`, `host.name`...).
import { levelFromSeverityNumber, normalizeLevel, type Level } from '../../shared/levels.ts';
import type { IngestRecord } from '../../shared/normalize/record.ts';
import { boundedJson, MAX_NESTING } from '../../shared/parse/nesting.ts';
import type { Int64, OtlpAnyValue, OtlpKeyValue, OtlpLogRecord, OtlpRequest } from './otlp-schema.ts';
import { setKey } from './protocol.ts';

export type Attributes = Record<string, unknown>;

/** Resource attributes that name an event's own fields rather than its source. */
const RESOURCE_FIELDS: Readonly<Record<string, string>> = { 'host.name': 'host', 'deployment.environment.name': 'env', 'deployment.environment': 'env' };

/** Every log record of an OTLP/JSON request (or protobufjs' decoded message), in order (resource, then scope, then record). */
export function otlpRecords(request: OtlpRequest): IngestRecord[] {
  const records: IngestRecord[] = [];
  for (const resourceLogs of request.resourceLogs ?? []) {
    const source: Source = {};
    for (const { key, value } of resourceLogs.resource?.attributes ?? []) if (typeof key === 'string') addResourceAttribute(source, key, valueOf(value, 0));
    for (const scopeLogs of resourceLogs.scopeLogs ?? []) {
      const labels = scopeLabels(source, scopeLogs.scope?.name);
      for (const log of scopeLogs.logRecords ?? []) records.push(logRecord(source, labels, partsOf(log, source)));
    }
  }
  return records;
}

/** What a resource says for each of its records. */
export interface Source {
  service?: string;
  labels?: Attributes;
  /** host and env, from the resource, as key, value...: read as the record's own fields, which its attributes override. */
  fields?: unknown[];
}

export function addResourceAttribute(source: Source, key: string, value: unknown): void {
  if (key === 'service.name' && typeof value === 'string' && value.trim() !== '') source.service = value;
  else if (RESOURCE_FIELDS[key] !== undefined && typeof value === 'string') (source.fields ??= []).push(RESOURCE_FIELDS[key], value);
  else setKey((source.labels ??= {}), key, value);
}

/** The labels of a scope's records: the resource's, and the scope's name (its logger) when it has one. One object per scope. */
export function scopeLabels(source: Source, scopeName: string | null | undefined): Attributes | undefined {
  return scopeName ? { ...source.labels, 'otel.scope.name': scopeName } : source.labels;
}

/** A new field list of a record (IngestRecord.fieldList), holding its resource's fields first (its own attributes override them). */
export function fieldsOf(source: Source): unknown[] {
  return source.fields === undefined ? [] : source.fields.slice();
}

/** What a walker read of one log record, in LogFlow's terms. */
export interface LogParts {
  /** timeUnixNano, else observedTimeUnixNano; undefined when both are 0. */
  time: bigint | undefined;
  level: Level | undefined;
  severityText: string | undefined;
  /** The record's attributes as key, value... (a list from fieldsOf), or undefined when it has none. */
  fields: unknown[] | undefined;
  eventName: string | undefined;
  /** The body's value; undefined when there is none. */
  body: unknown;
  traceId: string | undefined;
  spanId: string | undefined;
}

export function logRecord(source: Source, labels: Attributes | undefined, p: LogParts): IngestRecord {
  const record: IngestRecord = {};
  if (source.service !== undefined) record.service = source.service;
  if (labels !== undefined) record.labels = labels;
  if (p.time !== undefined) record.timeUnixNano = p.time;
  let fields = p.fields;
  const level = p.level ?? (p.severityText ? normalizeLevel(p.severityText) : undefined);
  if (level !== undefined) record.level = level;
  // A severity no level is read from is kept, as data, under the name a level has.
  else if (p.severityText) (fields ??= fieldsOf(source)).push('severity', p.severityText);
  if (p.eventName) (fields ??= fieldsOf(source)).push('event.name', p.eventName);
  fields ??= source.fields;
  if (fields !== undefined) record.fieldList = fields;
  if (typeof p.body === 'string') record.line = p.body;
  else if (p.body !== undefined && p.body !== null) record.line = boundedJson(p.body, MAX_NESTING);
  if (p.traceId !== undefined) record.traceId = p.traceId;
  if (p.spanId !== undefined) record.spanId = p.spanId;
  return record;
}

function partsOf(log: OtlpLogRecord, source: Source): LogParts {
  let fields: unknown[] | undefined;
  for (const { key, value } of log.attributes ?? []) if (typeof key === 'string') (fields ??= fieldsOf(source)).push(key, valueOf(value, 0));
  return {
    time: nanos(log.timeUnixNano) ?? nanos(log.observedTimeUnixNano),
    level: severityLevel(log.severityNumber),
    severityText: log.severityText ?? undefined,
    fields,
    eventName: log.eventName ?? undefined,
    body: log.body === null || log.body === undefined ? undefined : valueOf(log.body, 0),
    traceId: hexId(log.traceId),
    spanId: hexId(log.spanId),
  };
}

/** An AnyValue as the JavaScript value it holds: strings, numbers (a bigint past 2^53), booleans, arrays, objects; bytes as base64. */
function valueOf(v: OtlpAnyValue | null | undefined, depth: number): unknown {
  if (v === null || v === undefined) return null;
  // The member set is an own property, in a decoded message (its prototype holds every member's default) as in JSON.
  if (set(v, 'stringValue')) return v.stringValue;
  if (set(v, 'boolValue')) return v.boolValue;
  if (set(v, 'intValue')) return integer(v.intValue) ?? String(v.intValue);
  if (set(v, 'doubleValue')) return typeof v.doubleValue === 'number' ? v.doubleValue : Number(v.doubleValue);
  if (set(v, 'bytesValue')) return v.bytesValue instanceof Uint8Array ? Buffer.from(v.bytesValue).toString('base64') : String(v.bytesValue);
  const array = set(v, 'arrayValue');
  if (!array && !set(v, 'kvlistValue')) return null;
  // Deeper than any store keeps apart (MAX_NESTING), or not the lists OTLP/JSON says (a client's own
  // writer): kept as its OTLP JSON text, written without recursion, rather than lost.
  const items: unknown = (array ? v.arrayValue : v.kvlistValue)?.values ?? [];
  if (depth >= MAX_NESTING || !Array.isArray(items)) return JSON.parse(boundedJson(v, 0)) as string;
  if (array) return (items as OtlpAnyValue[]).map((item) => valueOf(item, depth + 1));
  const out: Attributes = {};
  for (const kv of items as (OtlpKeyValue | null)[]) if (typeof kv?.key === 'string') setKey(out, kv.key, valueOf(kv.value, depth + 1));
  return out;
}

function set(v: OtlpAnyValue, member: keyof OtlpAnyValue): boolean {
  return Object.hasOwn(v, member) && v[member] != null;
}

/** A signed 64-bit integer: a number when it is exact as one, a bigint otherwise; undefined when it is no integer. */
function integer(v: Int64): number | bigint | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined;
  let n: bigint;
  if (typeof v === 'string') {
    if (!/^-?\d{1,20}$/.test(v)) return undefined;
    n = BigInt.asIntN(64, BigInt(v));
  } else if (v) {
    n = BigInt.asIntN(64, (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0));
  } else {
    return undefined;
  }
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

/** Nanoseconds since the epoch (fixed64); undefined for 0, OTLP's "unknown", or anything that is no time. */
function nanos(v: Int64): bigint | undefined {
  let n: bigint | undefined;
  if (typeof v === 'number') n = Number.isFinite(v) && v > 0 ? BigInt(Math.trunc(v)) : undefined;
  else if (typeof v === 'string') n = /^\d{1,20}$/.test(v) ? BigInt.asUintN(64, BigInt(v)) : undefined;
  else if (v) n = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  return n === undefined || n === 0n ? undefined : n;
}

/** SeverityNumber as a number, digits, or its name in OTLP/JSON (SEVERITY_NUMBER_WARN2); undefined when unspecified. */
export function severityLevel(v: number | string | null | undefined): Level | undefined {
  if (typeof v === 'number') return levelFromSeverityNumber(v);
  if (typeof v !== 'string') return undefined;
  if (/^\d+$/.test(v)) return levelFromSeverityNumber(Number(v));
  const name = /^SEVERITY_NUMBER_([A-Z]+)\d?$/.exec(v)?.[1];
  return name === undefined || name === 'UNSPECIFIED' ? undefined : normalizeLevel(name);
}

/**
 * A trace or span id as lowercase hex: bytes (protobuf), hex (OTLP/JSON), or base64 (what a generic
 * protobuf JSON writer sends). undefined when empty or all zeros, OTLP's "no id".
 */
export function hexId(v: Uint8Array | string | null | undefined): string | undefined {
  if (v === null || v === undefined || v.length === 0) return undefined;
  // Neither bytes nor text (a client's own JSON writer): kept as its text, for the id's checks to judge.
  if (typeof v !== 'string' && !(v instanceof Uint8Array)) return typeof v === 'object' ? JSON.stringify(v) : String(v);
  let hex: string;
  if (typeof v !== 'string') hex = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  else if (/^[0-9a-fA-F]+$/.test(v) && v.length % 2 === 0) hex = v.toLowerCase();
  else if (/^[A-Za-z0-9+/]+={0,2}$/.test(v) && (v.length === 12 || v.length === 24)) hex = Buffer.from(v, 'base64').toString('hex');
  else return v;
  return /^0+$/.test(hex) ? undefined : hex;
}
