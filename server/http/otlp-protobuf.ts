// An OTLP ExportLogsServiceRequest in protobuf, read straight into records with protobufjs' Reader (its
// wire-format primitives): decoding into protobufjs messages first built about fifteen objects per log
// record (the record, its body, each attribute, each value, two Longs) only to walk them once, and
// made POST /v1/logs cost half again as much per event as POST /logs. Field numbers are
// opentelemetry-proto's (otlp-schema.ts names them); fields LogFlow has no use for are skipped, and
// fields may come in any order, as protobuf allows. Meaning is given in otlp-records.ts, shared with JSON.
import protobuf from 'protobufjs';
import type { IngestRecord } from '../../shared/normalize/record.ts';
import { addResourceAttribute, fieldsOf, hexId, logRecord, scopeLabels, severityLevel, type Attributes, type LogParts, type Source } from './otlp-records.ts';
import { setKey } from './protocol.ts';

const LEN = 2;
const I64 = 1;
const VARINT = 0;
/** Nesting of values the reader follows, as protobufjs' own decoders (deeper values are kept as text later). */
const MAX_DEPTH = 100;

type Reader = protobuf.Reader;
type Range = [start: number, end: number];

/** Every log record of the request, in order; throws (the caller answers 400) when the bytes are no such message. */
export function readOtlpProtobuf(body: Uint8Array): IngestRecord[] {
  const r = protobuf.Reader.create(body);
  const records: IngestRecord[] = [];
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | LEN)) readResourceLogs(r, end(r), records);
    else r.skipType(tag & 7);
  }
  return records;
}

function readResourceLogs(r: Reader, stop: number, records: IngestRecord[]): void {
  const source: Source = {};
  // The resource says what every record is: its scopes are read after it, wherever it came.
  const scopes: Range[] = [];
  while (r.pos < stop) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | LEN)) readResource(r, end(r), source);
    else if (tag === ((2 << 3) | LEN)) scopes.push(skipped(r));
    else r.skipType(tag & 7);
  }
  for (const [start, stopAt] of scopes) readScopeLogs(at(r, start), stopAt, source, records);
  r.pos = stop;
}

function readResource(r: Reader, stop: number, source: Source): void {
  while (r.pos < stop) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | LEN)) {
      if (readKeyValue(r, end(r), 0)) addResourceAttribute(source, kvKey, kvValue);
    } else r.skipType(tag & 7);
  }
}

function readScopeLogs(r: Reader, stop: number, source: Source, records: IngestRecord[]): void {
  let scopeName: string | undefined;
  const logs: Range[] = [];
  while (r.pos < stop) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | LEN)) scopeName = readScopeName(r, end(r));
    else if (tag === ((2 << 3) | LEN)) logs.push(skipped(r));
    else r.skipType(tag & 7);
  }
  const labels = scopeLabels(source, scopeName);
  const parts = newParts();
  for (const [start, stopAt] of logs) records.push(logRecord(source, labels, readLogRecord(at(r, start), stopAt, source, parts)));
  r.pos = stop;
}

function readScopeName(r: Reader, stop: number): string | undefined {
  let name: string | undefined;
  while (r.pos < stop) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | LEN)) name = r.string();
    else r.skipType(tag & 7);
  }
  return name;
}

function newParts(): LogParts {
  return { time: undefined, level: undefined, severityText: undefined, fields: undefined, eventName: undefined, body: undefined, traceId: undefined, spanId: undefined };
}

/** Reads a log record into `p`, one object reused for every record of a scope (logRecord copies what it keeps). */
function readLogRecord(r: Reader, stop: number, source: Source, p: LogParts): LogParts {
  p.time = p.level = p.severityText = p.fields = p.eventName = p.body = p.traceId = p.spanId = undefined;
  let observed: bigint | undefined;
  while (r.pos < stop) {
    const tag = r.uint32();
    switch (tag) {
      case (1 << 3) | I64: p.time = fixed64(r); break;
      case (11 << 3) | I64: observed = fixed64(r); break;
      case (2 << 3) | VARINT: p.level = severityLevel(r.int32()); break;
      case (3 << 3) | LEN: p.severityText = r.string(); break;
      case (5 << 3) | LEN: p.body = readAnyValue(r, end(r), 0); break;
      case (6 << 3) | LEN:
        if (readKeyValue(r, end(r), 0)) (p.fields ??= fieldsOf(source)).push(kvKey, kvValue);
        break;
      case (9 << 3) | LEN: p.traceId = hexId(r.bytes()); break;
      case (10 << 3) | LEN: p.spanId = hexId(r.bytes()); break;
      case (12 << 3) | LEN: p.eventName = r.string(); break;
      default: r.skipType(tag & 7);
    }
  }
  if (p.time === undefined) p.time = observed;
  return p;
}

// What readKeyValue read, for its caller to take at once (no object per attribute): a nested call
// overwrites them, but only before the outer call sets them.
let kvKey = '';
let kvValue: unknown = null;

/** Reads a KeyValue into kvKey and kvValue; false when it has no key. */
function readKeyValue(r: Reader, stop: number, depth: number): boolean {
  let key: string | undefined;
  let value: unknown = null;
  while (r.pos < stop) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | LEN)) key = r.string();
    else if (tag === ((2 << 3) | LEN)) value = readAnyValue(r, end(r), depth);
    else r.skipType(tag & 7);
  }
  if (key === undefined) return false;
  kvKey = key;
  kvValue = value;
  return true;
}

/** An AnyValue as the JavaScript value it holds, as otlp-records.ts reads one from JSON; null when it holds none. */
function readAnyValue(r: Reader, stop: number, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new Error('max depth exceeded');
  let value: unknown = null;
  while (r.pos < stop) {
    const tag = r.uint32();
    switch (tag) {
      case (1 << 3) | LEN: value = r.string(); break;
      case (2 << 3) | VARINT: value = r.bool(); break;
      case (3 << 3) | VARINT: value = int64(r.int64()); break;
      case (4 << 3) | I64: value = r.double(); break;
      case (5 << 3) | LEN: value = readArray(r, end(r), depth + 1); break;
      case (6 << 3) | LEN: value = readKvList(r, end(r), depth + 1); break;
      case (7 << 3) | LEN: {
        const b = r.bytes();
        value = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
        break;
      }
      default: r.skipType(tag & 7);
    }
  }
  return value;
}

function readArray(r: Reader, stop: number, depth: number): unknown[] {
  const values: unknown[] = [];
  while (r.pos < stop) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | LEN)) values.push(readAnyValue(r, end(r), depth));
    else r.skipType(tag & 7);
  }
  return values;
}

function readKvList(r: Reader, stop: number, depth: number): Attributes {
  const out: Attributes = {};
  while (r.pos < stop) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | LEN)) {
      if (readKeyValue(r, end(r), depth)) setKey(out, kvKey, kvValue);
    } else r.skipType(tag & 7);
  }
  return out;
}

/** Where the length-delimited field that starts here ends, checked against the buffer. */
function end(r: Reader): number {
  const length = r.uint32();
  const stop = r.pos + length;
  if (stop > r.len) throw new Error(`a field of ${length} bytes runs past the end of the body`);
  return stop;
}

/** Skips a length-delimited field, returning where its content lies. */
function skipped(r: Reader): Range {
  const stop = end(r);
  const range: Range = [r.pos, stop];
  r.pos = stop;
  return range;
}

function at(r: Reader, position: number): Reader {
  r.pos = position;
  return r;
}

/** A fixed64 as an unsigned bigint, without the Long protobufjs would make; undefined for 0 (OTLP's "unknown"). */
function fixed64(r: Reader): bigint | undefined {
  const low = r.fixed32();
  const high = r.fixed32();
  if (low === 0 && high === 0) return undefined;
  return (BigInt(high) << 32n) | BigInt(low);
}

/** An int64 Long as a number when exact, a bigint otherwise. */
function int64(v: { low: number; high: number } | number): number | bigint {
  if (typeof v === 'number') return v;
  const n = BigInt.asIntN(64, (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0));
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}
