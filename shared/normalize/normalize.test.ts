import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../event.ts';
import { encodeEvent } from './encode.ts';
import { normalizeRecord, UNKNOWN_SERVICE } from './normalize.ts';
import type { IngestRecord, NormalEvent, RecordDefaults } from './record.ts';

const NOW = Date.parse('2026-11-01T12:00:00Z');
const good = { timestamp: '2026-11-01T10:00:00+01:00', service: 'api', level: 'info', message: 'ok' };

function normal(record: IngestRecord | Record<string, unknown>, defaults: RecordDefaults = {}): NormalEvent {
  const r = normalizeRecord('json' in record || 'fields' in record || 'line' in record ? (record as IngestRecord) : { json: JSON.stringify(record) }, defaults, NOW);
  if (!r.ok) throw new Error(r.reason);
  return r.event;
}

/** The event as the worker reads it from the stream. */
function stored(record: IngestRecord | Record<string, unknown>, defaults: RecordDefaults = {}): LogEvent {
  return JSON.parse(encodeEvent(normal(record, defaults), 7, '2026-11-01T12:00:00.000Z', 'id-1')) as LogEvent;
}

function refusal(record: IngestRecord | Record<string, unknown>): string {
  const r = normalizeRecord('json' in record || 'fields' in record || 'line' in record ? (record as IngestRecord) : { json: JSON.stringify(record) }, {}, NOW);
  if (r.ok) throw new Error(`expected a refusal, got ${JSON.stringify(r.event)}`);
  return r.reason;
}

describe('when an event arrives in LogFlow\'s own shape', () => {
  it('does normalise level names and aliases, and the time to UTC milliseconds', () => {
    for (const [given, want] of [['info', 'INFO'], ['Warning', 'WARN'], ['fatal', 'ERROR'], ['trace', 'DEBUG'], ['CRITICAL', 'ERROR'], ['http', 'INFO'], ['silly', 'DEBUG']]) {
      expect(normal({ ...good, level: given }).level, given).toBe(want);
    }
    expect(stored(good)).toEqual({ event_id: 'id-1', project_id: 7, timestamp: '2026-11-01T09:00:00.000Z', ingest_ts: '2026-11-01T12:00:00.000Z', service: 'api', level: 'INFO', message: 'ok' });
  });

  it('does keep unknown fields under metadata, and the metadata object\'s own value when a key is in both', () => {
    expect(stored({ ...good, user: 7, a: 'outside', metadata: { a: 1 } }).metadata).toEqual({ user: 7, a: 1 });
    expect(stored({ ...good, metadata: 'not an object' }).metadata).toEqual({ metadata: 'not an object' });
  });

  it('does keep the client\'s event_id, a number as its digits, and refuses one no store can key by', () => {
    expect(normal({ ...good, event_id: 'mine-1' }).event_id).toBe('mine-1');
    expect(normal({ ...good, event_id: 42 }).event_id).toBe('42');
    expect(refusal({ ...good, event_id: 'has space' })).toMatch(/event_id must be 1-200 printable ASCII.*leave it out/);
    expect(normal(good).event_id).toBeUndefined();
  });

  it('does drop the ingest_ts and project_id an exported event carries: they are the server\'s to set', () => {
    expect(stored({ ...good, ingest_ts: '2020-01-01T00:00:00Z', project_id: 99 })).toMatchObject({ project_id: 7, ingest_ts: '2026-11-01T12:00:00.000Z' });
    expect(stored({ ...good, ingest_ts: 'x' }).metadata).toBeUndefined();
  });

  it('does refuse what is not a JSON object, saying what to send', () => {
    expect(refusal({ json: '[1,2]' })).toMatch(/must be a JSON object, such as \{"message"/);
  });
});

describe('when a record is what another agent sends', () => {
  it('does read Fluent Bit\'s http output: its date, and the raw line in log read as logflow ship reads it', () => {
    const line = '2026-11-01T10:00:00.250Z ERROR payment failed';
    expect(stored({ date: 1793527205.123456, log: line }, { service: 'api' })).toMatchObject({ service: 'api', level: 'ERROR', message: line, timestamp: '2026-11-01T10:00:00.250Z', metadata: { date: 1793527205.123456 } });
    expect(stored({ date: 1793527205.123456, log: 'no time, no level' }, { service: 'api' })).toMatchObject({ level: 'INFO', timestamp: '2026-11-01T10:00:05.123Z' });
    expect(stored({ date: 1793527205.1, log: '{"level":50,"msg":"boom","pid":7}' })).toMatchObject({ level: 'ERROR', message: 'boom', metadata: { pid: 7 } });
  });

  it('does read pino and winston as they send, numeric levels and epoch strings included', () => {
    expect(stored({ level: 30, time: 1793527200123, pid: 1, hostname: 'web-1', msg: 'listening' }, { service: 'api' })).toMatchObject({ level: 'INFO', timestamp: '2026-11-01T10:00:00.123Z', host: 'web-1', message: 'listening' });
    expect(normal({ level: 70, msg: 'x' }).level).toBe('ERROR');
    expect(normal({ timestamp: '1793527200000', message: 'x' }).timestamp).toBe('2026-11-01T10:00:00.000Z');
    expect(normal({ timestamp: { seconds: 1793527200, nanos: 5e8 }, message: 'x' }).timestamp).toBe('2026-11-01T10:00:00.500Z');
  });

  it('does keep a level it does not know as data, with INFO, rather than lose the event', () => {
    expect(stored({ ...good, level: 'LOUD' })).toMatchObject({ level: 'INFO', metadata: { level: 'LOUD' } });
    expect(stored({ ...good, level: 'constructor' })).toMatchObject({ level: 'INFO', metadata: { level: 'constructor' } });
  });

  it('does take the service from the request when the record names none, and unknown_service when neither does', () => {
    expect(normal({ message: 'x' }, { service: 'api' }).service).toBe('api');
    expect(normal({ message: 'x', service: 'own' }, { service: 'api' }).service).toBe('own');
    expect(normal({ message: 'x' }).service).toBe(UNKNOWN_SERVICE);
  });

  it('does search a record without a message by its whole text', () => {
    expect(normal({ json: '{"user":42,"action":"login"}' }).message).toBe('{"user":42,"action":"login"}');
  });
});

describe('when a record names no usable time', () => {
  it('does take the time received and say so in metadata', () => {
    expect(stored({ message: 'x' })).toMatchObject({ timestamp: '2026-11-01T12:00:00.000Z', metadata: { timestamp_source: 'received' } });
  });

  it('does refuse a date that does not exist, naming it and what to send', () => {
    expect(refusal({ ...good, timestamp: '2026-02-30T10:00:00Z' })).toMatch(/^timestamp "2026-02-30T10:00:00Z" is not a date and time that exists.*send ISO 8601/);
  });

  it('does refuse a timestamp object, a counter and free text, each with what to send', () => {
    expect(refusal({ ...good, timestamp: { when: 'now' } })).toMatch(/^timestamp is an object \(\{"when":"now"\}\), not a time: send ISO 8601/);
    expect(refusal({ ...good, timestamp: 12 })).toMatch(/^timestamp 12 is no epoch time after 2000-01-01/);
    expect(refusal({ ...good, timestamp: 'yesterday' })).toMatch(/^timestamp "yesterday" is not a time LogFlow reads/);
  });

  it('does use another time field, or the protocol\'s time, before refusing', () => {
    expect(stored({ message: 'x', time: 35, ts: '2026-11-01T10:00:00Z' })).toMatchObject({ timestamp: '2026-11-01T10:00:00.000Z', metadata: { time: 35 } });
    expect(normal({ fields: { message: 'x', time: 35 }, timeUnixNano: 1793527200123456789n }).timestamp).toBe('2026-11-01T10:00:00.123Z');
  });

  it('does refuse times no store holds: before 1970, or more than a day ahead of the server', () => {
    expect(refusal({ ...good, timestamp: '1969-12-31T23:59:59Z' })).toMatch(/before 1970-01-01/);
    expect(refusal({ ...good, timestamp: '2026-11-03T12:00:01Z' })).toMatch(/more than a day after the server's clock: check the sender's clock, or the unit/);
    expect(normal({ ...good, timestamp: '2026-11-02T11:00:00Z' }).timestamp).toBe('2026-11-02T11:00:00.000Z');
    expect(normal({ ...good, timestamp: NOW * 1000 }).timestamp).toBe('2026-11-01T12:00:00.000Z'); // microseconds, told by size
  });
});

describe('when a record holds what a store cannot take', () => {
  it('does replace NULs and lone surrogates everywhere, escaped or not', () => {
    const e = stored({ fields: { message: 'a\u0000b\ud800', service: 's\u0000', 'k\udc00': 'v\u0000', nested: { x: ['\ud83d'] } } });
    expect(e).toMatchObject({ message: 'a\ufffdb\ufffd', service: 's\ufffd', metadata: { 'k\ufffd': 'v\ufffd', nested: { x: ['\ufffd'] } } });
    const json = stored({ json: '{"message":"a\\u0000b","host":"h\\ud800","metadata":{"k\\u0000":"\\udfff"},"x":"\\u0000"}' });
    expect(json).toMatchObject({ message: 'a\ufffdb', host: 'h\ufffd', metadata: { 'k\ufffd': '\ufffd', x: '\ufffd' } });
    expect(JSON.stringify(json)).not.toMatch(/\\u0000|\\ud[89a-f]/);
  });

  it('does keep what nests past 32 levels as JSON text, in metadata, extra fields and decoded fields alike', () => {
    const deep = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    const e = stored({ json: `{"message":"x","metadata":{"m":${deep}},"extra":${deep}}` });
    const depth = (v: unknown): number => (v !== null && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v).map(depth)) : 0);
    expect(depth(e.metadata!.m)).toBe(32);
    expect(depth(e.metadata!.extra)).toBe(32);
    expect(depth(stored({ fields: { message: 'x', extra: JSON.parse(deep) } }).metadata!.extra)).toBe(32);
  });

  it('does cut a message over 256 KiB there, never mid-character, and mark it', () => {
    const e = stored({ message: 'é'.repeat(200_000), service: 'api' });
    expect(Buffer.byteLength(e.message)).toBeLessThanOrEqual(256 * 1024);
    expect(e.message).toBe('é'.repeat(128 * 1024));
    expect(e.metadata).toMatchObject({ truncated: true, message_bytes: 400_000 });
  });

  it('does keep keys named like Object.prototype members as plain data', () => {
    const e = stored({ json: '{"message":"ok","metadata":{"__proto__":{"polluted":1},"a":1},"constructor":"c","toString":"t"}' });
    expect(Object.getOwnPropertyDescriptor(e.metadata, '__proto__')?.value).toEqual({ polluted: 1 });
    expect(e.metadata).toMatchObject({ constructor: 'c', toString: 't', a: 1 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('when a decoder hands over a line with protocol fields (OTLP, Loki)', () => {
  const otlp: IngestRecord = {
    line: 'user error count is 0', fields: { 'http.route': '/pay', message: 'an attribute' }, level: 'INFO', service: 'checkout',
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', timeUnixNano: 1793527200123456789n, labels: { 'service.name': 'checkout', 'k8s.pod': 'p-1' },
  };

  it('does let the protocol\'s level, service and ids win, keep labels and attributes in metadata, and take its time', () => {
    expect(stored(otlp)).toEqual({
      event_id: 'id-1', project_id: 7, timestamp: '2026-11-01T10:00:00.123Z', ingest_ts: '2026-11-01T12:00:00.000Z', service: 'checkout', level: 'INFO', message: 'user error count is 0',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', metadata: { 'service.name': 'checkout', 'k8s.pod': 'p-1', 'http.route': '/pay', message: 'an attribute', span_id: '00f067aa0ba902b7' },
    });
  });

  it('does read the line\'s own level and time when the protocol gives none', () => {
    expect(stored({ line: '2026-11-01T09:00:00Z WARN disk 91%', timeUnixNano: 1793527200000000000n })).toMatchObject({ level: 'WARN', timestamp: '2026-11-01T09:00:00.000Z' });
  });
});

describe('when the same record comes twice', () => {
  it('does describe it the same way, and two records differing by a nanosecond differently', () => {
    const a = normal({ json: '{"message":"x","ts":"2026-11-01T10:00:00.000000001Z"}' });
    const b = normal({ json: '{"message":"x","ts":"2026-11-01T10:00:00.000000002Z"}' });
    expect(a.identity).toBe(normal({ json: '{"message":"x","ts":"2026-11-01T10:00:00.000000001Z"}' }).identity);
    expect(a.timestamp).toBe(b.timestamp);
    expect(a.identity).not.toBe(b.identity);
    const loki = (ns: bigint): IngestRecord => ({ line: 'x', timeUnixNano: ns, labels: { job: 'api' } });
    expect(normal(loki(1n + 1793527200000000000n)).identity).toBe(normal(loki(1n + 1793527200000000000n)).identity);
    expect(normal(loki(1n + 1793527200000000000n)).identity).not.toBe(normal(loki(2n + 1793527200000000000n)).identity);
    expect(normal({ ...loki(1n), labels: { job: 'a' } }).identity).not.toBe(normal({ ...loki(1n), labels: { job: 'b' } }).identity);
  });

  it('does give a record that names no time no identity: a heartbeat sent every minute is a new event each time', () => {
    for (const record of [{ fields: { message: 'beat' } }, { json: '{"message":"beat"}' }, { line: 'beat' }]) {
      const r = normalizeRecord(record, {}, NOW);
      expect(r.ok && r.event.identity, JSON.stringify(record)).toBeUndefined();
    }
  });
});

describe('when a decoder hands over a record\'s fallback service or a field list (Elasticsearch, OTLP)', () => {
  it('does use the fallback service only when neither the record nor the request names one, and tell two indices apart', () => {
    const doc = '{"message":"m","timestamp":"2026-11-01T10:00:00Z"}';
    expect(normal({ json: doc, fallbackService: 'shop' }).service).toBe('shop');
    expect(normal({ json: doc, fallbackService: 'shop' }, { service: 'api' }).service).toBe('api');
    expect(normal({ json: '{"message":"m","service":"cart","timestamp":"2026-11-01T10:00:00Z"}', fallbackService: 'shop' }).service).toBe('cart');
    const a = normal({ json: doc, fallbackService: 'shop' }).identity;
    expect(a).toBe(normal({ json: doc, fallbackService: 'shop' }).identity);
    expect(a).not.toBe(normal({ json: doc, fallbackService: 'orders' }).identity);
  });

  it('does read a field list as it reads fields, in order, an event_id included', () => {
    const e = normal({ line: 'x', timeUnixNano: 1793527200000000000n, fieldList: ['request_id', 'r-1', 'order', 7, 'event_id', 'own-1', '__proto__', 'p'] });
    expect(e).toMatchObject({ request_id: 'r-1', event_id: 'own-1', metadata: '"order":7,"__proto__":"p"' });
    expect(normalizeRecord({ timeUnixNano: 1793527200000000000n, fieldList: ['message', 'from the list', 'n', 1] }, {}, NOW)).toMatchObject({ ok: true, event: { message: 'from the list', metadata: '"n":1' } });
  });
});
