// A Loki push (JSON, or protobuf as Promtail, Alloy and winston-loki send it) into records for the one
// ingest path. Each line is read as `logflow ship` reads one; the entry's timestamp is its time when
// the line names none. Stream labels say where the lines come from: a service label (`service_name`,
// `service`, `app`, ..., `job`) names the service, a level label (`level`, `detected_level`,
// `severity`, ...) the level, `host` and `env` labels those fields; the others are kept in metadata and
// make the line's derived id, as a stream does in Loki. Structured metadata is read as the line's own
// fields (`trace_id`, ...).
import protobuf from 'protobufjs';
import { LogFlowError } from '../../shared/errors.ts';
import { normalizeLevel, type Level } from '../../shared/levels.ts';
import type { IngestRecord } from '../../shared/normalize/record.ts';
import { show } from '../../shared/normalize/reasons.ts';
import { parseLokiLabels } from './loki-labels.ts';
import { setKey } from './protocol.ts';

/** Labels that name the service, best first: Loki's own list for `service_name`, less the ambiguous `name`. */
const SERVICE_LABELS = ['service_name', 'service', 'app', 'application', 'app_name', 'app_kubernetes_io_name', 'container', 'container_name', 'k8s_container_name', 'component', 'workload', 'job'];
/** Service labels that say nothing else: not kept in metadata once they are the service. */
const ONLY_SERVICE = new Set(['service_name', 'service']);
const LEVEL_LABELS = ['level', 'detected_level', 'severity', 'lvl', 'loglevel', 'log_level'];
const FIELD_LABELS: Readonly<Record<string, 'host' | 'env'>> = { host: 'host', hostname: 'host', host_name: 'host', env: 'env', environment: 'env', deployment_environment: 'env', deployment_environment_name: 'env' };

// logproto.PushRequest as Loki's push.proto defines it (field numbers as there).
const schema = protobuf.Root.fromJSON({
  nested: {
    PushRequest: { fields: { streams: { rule: 'repeated', type: 'StreamAdapter', id: 1 } } },
    StreamAdapter: { fields: { labels: { type: 'string', id: 1 }, entries: { rule: 'repeated', type: 'EntryAdapter', id: 2 } } },
    EntryAdapter: { fields: { timestamp: { type: 'Timestamp', id: 1 }, line: { type: 'string', id: 2 }, structuredMetadata: { rule: 'repeated', type: 'LabelPairAdapter', id: 3 } } },
    LabelPairAdapter: { fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
    Timestamp: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } },
  },
});
const PushRequest = schema.lookupType('PushRequest');

type Long = { low: number; high: number };

/** The records of a push, and where each stream's records start (to name a refused one's stream). */
export interface LokiPush {
  records: IngestRecord[];
  streams: { labels: string; first: number }[];
}

export function decodeLokiProtobuf(body: Buffer): LokiPush {
  let request: { streams?: { labels?: string; entries?: { timestamp?: { seconds?: Long | number; nanos?: number } | null; line?: string; structuredMetadata?: { name?: string; value?: string }[] }[] }[] };
  try {
    request = PushRequest.decode(body) as typeof request;
  } catch (err) {
    throw new LogFlowError('BAD_REQUEST', `the body is not a Loki PushRequest in protobuf (${(err as Error).message}): send what Promtail or Alloy sends (snappy-compressed protobuf), or JSON with Content-Type: application/json`);
  }
  const push: LokiPush = { records: [], streams: [] };
  for (const stream of request.streams ?? []) {
    const source = streamSource(stream.labels ?? '', push, stream.labels ?? '');
    for (const entry of stream.entries ?? []) {
      const ts = entry.timestamp;
      const seconds = typeof ts?.seconds === 'number' ? BigInt(ts.seconds) : ts?.seconds ? BigInt.asIntN(64, (BigInt(ts.seconds.high >>> 0) << 32n) | BigInt(ts.seconds.low >>> 0)) : 0n;
      const metadata = entry.structuredMetadata?.length ? Object.fromEntries(entry.structuredMetadata.map((p) => [p.name ?? '', p.value ?? ''])) : undefined;
      push.records.push(entryRecord(source, entry.line ?? '', seconds * 1_000_000_000n + BigInt(ts?.nanos ?? 0), metadata));
    }
  }
  return push;
}

export function decodeLokiJson(text: string): LokiPush {
  let request: unknown;
  try {
    request = JSON.parse(text);
  } catch (err) {
    throw new LogFlowError('BAD_REQUEST', `the body is not valid JSON (${(err as Error).message}): send {"streams":[{"stream":{"job":"app"},"values":[["<ns since the epoch>","<line>"]]}]}`);
  }
  const streams = (request as { streams?: unknown } | null)?.streams;
  if (!Array.isArray(streams)) throw new LogFlowError('BAD_REQUEST', 'the body has no "streams" array: send {"streams":[{"stream":{"job":"app"},"values":[["<ns since the epoch>","<line>"]]}]}');
  const push: LokiPush = { records: [], streams: [] };
  for (const stream of streams as { stream?: unknown; values?: unknown }[]) {
    const labels = stream !== null && typeof stream === 'object' && stream.stream !== null && typeof stream.stream === 'object' ? (stream.stream as Record<string, unknown>) : undefined;
    const source = streamSource(labels ?? {}, push, labels === undefined ? '{}' : show(labels));
    const values = Array.isArray(stream?.values) ? (stream.values as unknown[]) : [];
    for (const value of values) push.records.push(Array.isArray(value) ? jsonEntry(source, value) : { invalid: `a value of stream ${show(labels)} is ${show(value)}: send each as ["<ns since the epoch>", "<line>"] or with structured metadata as a third member {"trace_id":"..."}` });
  }
  return push;
}

function jsonEntry(source: Source, value: unknown[]): IngestRecord {
  const [ts, line, metadata] = value;
  const nanos = typeof ts === 'string' && /^\d{1,20}$/.test(ts) ? BigInt(ts) : typeof ts === 'number' && Number.isSafeInteger(ts) && ts > 0 ? BigInt(ts) : undefined;
  if (nanos === undefined) return { invalid: `the timestamp ${show(ts)} is not nanoseconds since the epoch as a string of digits, such as "1793527200000000000"` };
  if (typeof line !== 'string') return { invalid: `the line ${show(line)} is not a string: send each value as ["<ns since the epoch>", "<line>"]` };
  const fields = metadata !== null && typeof metadata === 'object' && !Array.isArray(metadata) ? (metadata as Record<string, unknown>) : undefined;
  return entryRecord(source, line, nanos, fields);
}

/** What a stream says for each of its lines, read once per stream; `invalid` when its labels cannot be read. */
interface Source {
  service?: string;
  level?: Level;
  fields?: Record<string, unknown>;
  labels?: Record<string, unknown>;
  invalid?: string;
}

function streamSource(labels: string | Record<string, unknown>, push: LokiPush, shown: string): Source {
  push.streams.push({ labels: shown, first: push.records.length });
  let all: Record<string, unknown>;
  if (typeof labels === 'string') {
    const parsed = parseLokiLabels(labels);
    if (typeof parsed === 'string') return { invalid: `the stream's labels ${show(labels)} cannot be read: ${parsed}; send them as {job="app", level="info"}` };
    all = parsed;
  } else {
    all = labels;
  }
  const source: Source = {};
  const rest: Record<string, unknown> = {};
  for (const name of Object.keys(all)) {
    const value = all[name];
    const text = typeof value === 'string' ? value : undefined;
    if (text !== undefined && FIELD_LABELS[name] !== undefined) (source.fields ??= {})[FIELD_LABELS[name]] = text;
    else if (text !== undefined && source.level === undefined && LEVEL_LABELS.includes(name) && normalizeLevel(text) !== undefined) source.level = normalizeLevel(text);
    else if (value !== undefined) setKey(rest, name, value);
  }
  for (const name of SERVICE_LABELS) {
    const value = rest[name];
    if (typeof value !== 'string' || value.trim() === '') continue;
    source.service = value;
    if (ONLY_SERVICE.has(name)) delete rest[name];
    break;
  }
  if (Object.keys(rest).length > 0) source.labels = rest;
  return source;
}

function entryRecord(source: Source, line: string, nanos: bigint, metadata: Record<string, unknown> | undefined): IngestRecord {
  if (source.invalid !== undefined) return { invalid: source.invalid };
  const record: IngestRecord = { line };
  if (nanos > 0n) record.timeUnixNano = nanos;
  if (source.service !== undefined) record.service = source.service;
  if (source.level !== undefined) record.level = source.level;
  if (source.labels !== undefined) record.labels = source.labels;
  if (metadata !== undefined) record.fields = source.fields === undefined ? metadata : { ...source.fields, ...metadata };
  else if (source.fields !== undefined) record.fields = source.fields;
  return record;
}
