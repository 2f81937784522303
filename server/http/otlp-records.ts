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

type Attributes = Record<string, unknown>;

/** Resource attributes that name an event's own fields rather than its source. */
const RESOURCE_FIELDS: Readonly<Record<string, string>> = { 'host.name': 'host', 'deployment.environment.name': 'env', 'deployment.environment': 'env' };

/** Every log record of the request, in order (resource, then scope, then record). */
export function otlpRecords(request: OtlpRequest): IngestRecord[] {
  const records: IngestRecord[] = [];
  for (const resourceLogs of request.resourceLogs ?? []) {
    const source = resourceOf(resourceLogs.resource?.attributes);
    for (const scopeLogs of resourceLogs.scopeLogs ?? []) {
      const scopeName = scopeLogs.scope?.name;
      let labels = source.labels;
      if (scopeName) labels = Object.assign(nullObject(), labels, { 'otel.scope.name': scopeName });
      for (const log of scopeLogs.logRecords ?? []) records.push(recordOf(log, source.service, labels, source.fields));
    }
  }
  return records;
}

interface Source {
  service?: string;
  labels?: Attributes;
  /** host and env, from the resource: read as the record's own fields, which its attributes override. */
  fields?: Attributes;
}

function resourceOf(attributes: OtlpKeyValue[] | null | undefined): Source {
  const source: Source = {};
  for (const { key, value } of attributes ?? []) {
    if (typeof key !== 'string') continue;
    const v = valueOf(value, 0);
    if (key === 'service.name' && typeof v === 'string' && v.trim() !== '') source.service = v;
    else if (RESOURCE_FIELDS[key] !== undefined && typeof v === 'string') (source.fields ??= nullObject())[RESOURCE_FIELDS[key]] = v;
    else (source.labels ??= nullObject())[key] = v;
  }
  return source;
}

function recordOf(log: OtlpLogRecord, service: string | undefined, labels: Attributes | undefined, resourceFields: Attributes | undefined): IngestRecord {
  const record: IngestRecord = {};
  if (service !== undefined) record.service = service;
  if (labels !== undefined) record.labels = labels;
  const time = nanos(log.timeUnixNano) ?? nanos(log.observedTimeUnixNano);
  if (time !== undefined) record.timeUnixNano = time;
  let fields = resourceFields === undefined ? undefined : Object.assign(nullObject(), resourceFields);
  for (const { key, value } of log.attributes ?? []) if (typeof key === 'string') (fields ??= nullObject())[key] = valueOf(value, 0);
  const level = severityLevel(log.severityNumber) ?? (log.severityText ? normalizeLevel(log.severityText) : undefined);
  if (level !== undefined) record.level = level;
  // A severity no level is read from is kept, as data, under the name a level has.
  else if (log.severityText) (fields ??= nullObject()).severity = log.severityText;
  if (log.eventName) (fields ??= nullObject())['event.name'] = log.eventName;
  if (fields !== undefined) record.fields = fields;
  const body = valueOf(log.body, 0);
  if (typeof body === 'string') record.line = body;
  else if (body !== null) record.line = boundedJson(body, MAX_NESTING);
  const traceId = hexId(log.traceId);
  if (traceId !== undefined) record.traceId = traceId;
  const spanId = hexId(log.spanId);
  if (spanId !== undefined) record.spanId = spanId;
  return record;
}

/** An AnyValue as the JavaScript value it holds: strings, numbers (a bigint past 2^53), booleans, arrays, objects; bytes as base64. */
function valueOf(v: OtlpAnyValue | null | undefined, depth: number): unknown {
  if (v === null || v === undefined) return null;
  // The member set is an own property, in a decoded message (its prototype holds every member's default) as in JSON.
  if (set(v, 'stringValue')) return v.stringValue;
  if (set(v, 'boolValue')) return v.boolValue;
  if (set(v, 'intValue')) return integer(v.intValue) ?? String(v.intValue);
  if (set(v, 'doubleValue')) return typeof v.doubleValue === 'number' ? v.doubleValue : Number(v.doubleValue);
  if (set(v, 'bytesValue')) return typeof v.bytesValue === 'string' ? v.bytesValue : Buffer.from(v.bytesValue!).toString('base64');
  const array = set(v, 'arrayValue');
  if (!array && !set(v, 'kvlistValue')) return null;
  // Deeper than any store keeps apart (MAX_NESTING): the rest is kept as its OTLP JSON text, written without recursion.
  if (depth >= MAX_NESTING) return JSON.parse(boundedJson(v, 0)) as string;
  if (array) return (v.arrayValue!.values ?? []).map((item) => valueOf(item, depth + 1));
  const out = nullObject();
  for (const { key, value } of v.kvlistValue!.values ?? []) if (typeof key === 'string') out[key] = valueOf(value, depth + 1);
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
function severityLevel(v: number | string | null | undefined): Level | undefined {
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
function hexId(v: Uint8Array | string | null | undefined): string | undefined {
  if (v === null || v === undefined || v.length === 0) return undefined;
  let hex: string;
  if (typeof v !== 'string') hex = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  else if (/^[0-9a-fA-F]+$/.test(v) && v.length % 2 === 0) hex = v.toLowerCase();
  else if (/^[A-Za-z0-9+/]+={0,2}$/.test(v) && (v.length === 12 || v.length === 24)) hex = Buffer.from(v, 'base64').toString('hex');
  else return v;
  return /^0+$/.test(hex) ? undefined : hex;
}

/** An object without a prototype: an attribute named `__proto__` is a key like any other. */
function nullObject(): Attributes {
  return Object.create(null) as Attributes;
}
