import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { normalizeRecord } from '../../shared/normalize/normalize.ts';
import { readOtlpProtobuf } from './otlp-protobuf.ts';
import { otlpRecords } from './otlp-records.ts';
import { ExportLogsServiceRequest, type OtlpLogRecord, type OtlpRequest } from './otlp-schema.ts';

const request = (log: OtlpLogRecord, resource: { key: string; value: object }[] = []): OtlpRequest => ({ resourceLogs: [{ resource: { attributes: resource }, scopeLogs: [{ logRecords: [log] }] }] });
/** A record's field list as an object, to compare. */
const fieldsOf = (r: { fieldList?: unknown[] } | undefined) => {
  const out: Record<string, unknown> = {};
  const list = r?.fieldList ?? [];
  for (let i = 0; i < list.length; i += 2) Object.defineProperty(out, list[i] as string, { value: list[i + 1], enumerable: true });
  return plain(out);
};
const plain = (o: object | undefined) => (o === undefined ? undefined : JSON.parse(JSON.stringify(o, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))));

describe('when an OTLP/JSON export is read into records', () => {
  it('does take what OTLP states as the protocol\'s word: service, level, time, trace and span ids', () => {
    const [r] = otlpRecords(request({ timeUnixNano: '1793527200123456789', severityNumber: 13, body: { stringValue: 'slow' }, traceId: '4BF92F3577B34DA6A3CE929D0E0E4736', spanId: '00f067aa0ba902b7' }, [{ key: 'service.name', value: { stringValue: 'cart' } }, { key: 'k8s.pod.name', value: { stringValue: 'cart-1' } }]));
    expect(plain(r)).toEqual({ service: 'cart', labels: { 'k8s.pod.name': 'cart-1' }, timeUnixNano: '1793527200123456789n', level: 'WARN', line: 'slow', traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' });
  });

  it('does read severity names, base64 ids, observed time, and leave out all-zero ids', () => {
    const [r] = otlpRecords(request({ observedTimeUnixNano: 1793527200000000000, severityNumber: 'SEVERITY_NUMBER_ERROR2', traceId: 'S/kvNXezTaajzpKdDg5HNg==', spanId: '0000000000000000', body: { stringValue: 'x' } }));
    expect(r).toMatchObject({ level: 'ERROR', traceId: '4bf92f3577b34da6a3ce929d0e0e4736', timeUnixNano: 1793527200000000000n });
    expect(r!.spanId).toBeUndefined();
    expect(otlpRecords(request({ severityNumber: 'SEVERITY_NUMBER_UNSPECIFIED', severityText: 'Warning' }))[0]!.level).toBe('WARN');
  });

  it('does keep a severity no level is read from, as data', () => {
    const [r] = otlpRecords(request({ severityText: 'LOUD', body: { stringValue: 'x' } }));
    expect(r!.level).toBeUndefined();
    expect(fieldsOf(r)).toEqual({ severity: 'LOUD' });
  });

  it('does turn attribute values into what they hold, 64-bit integers exactly', () => {
    const [r] = otlpRecords(request({ attributes: [
      { key: 'n', value: { intValue: '42' } }, { key: 'big', value: { intValue: '9007199254740993' } }, { key: 'd', value: { doubleValue: 1.5 } }, { key: 'b', value: { boolValue: false } },
      { key: 'bytes', value: { bytesValue: 'AQI=' } }, { key: 'list', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 1 }] } } },
      { key: 'map', value: { kvlistValue: { values: [{ key: 'x', value: { stringValue: 'y' } }] } } }, { key: '__proto__', value: { stringValue: 'kept' } }, { key: 'empty', value: {} },
    ] }));
    expect(fieldsOf(r)).toEqual({ n: 42, big: '9007199254740993n', d: 1.5, b: false, bytes: 'AQI=', list: ['a', 1], map: { x: 'y' }, ['__proto__']: 'kept', empty: null });
  });

  it('does give a map body as its JSON text, read as a JSON line: its message is the message', () => {
    const [r] = otlpRecords(request({ timeUnixNano: '1793527200000000000', body: { kvlistValue: { values: [{ key: 'message', value: { stringValue: 'card declined' } }, { key: 'code', value: { intValue: 42 } }] } } }));
    expect(r!.line).toBe('{"message":"card declined","code":42}');
    const n = normalizeRecord(r!, {}, Date.parse('2026-11-02T00:00:00Z'));
    expect(n).toMatchObject({ ok: true, event: { message: 'card declined', metadata: '"code":42', timestamp: '2026-11-01T10:00:00.000Z' } });
  });

  it('does keep a value nested past 32 levels as text, without recursion trouble', () => {
    let value: object = { stringValue: 'leaf' };
    for (let i = 0; i < 5000; i++) value = { arrayValue: { values: [value] } };
    const [r] = otlpRecords(request({ attributes: [{ key: 'deep', value }] }));
    let v = r!.fieldList![1];
    for (let i = 0; i < 32; i++) v = (v as unknown[])[0];
    expect(typeof v).toBe('string');
  });

  it('does keep values and ids that are not what OTLP/JSON says as their text, never failing the export', () => {
    const odd = { arrayValue: { values: 'x' } } as unknown as object;
    const kv = { kvlistValue: { values: [{ key: 5 }, null, { value: { stringValue: 'no key' } }, { key: 'k', value: { stringValue: 'v' } }] } } as unknown as object;
    const [r] = otlpRecords(request({ traceId: 123 as unknown as string, spanId: {} as unknown as string, body: odd, attributes: [{ key: 'kv', value: kv }, { key: 'bytes', value: { bytesValue: 5 } as unknown as object }] }));
    expect(r!.traceId).toBe('123');
    expect(r!.spanId).toBe('{}');
    expect(fieldsOf(r)).toMatchObject({ kv: { k: 'v' }, bytes: '5' });
    expect(normalizeRecord(r!, {}, Date.now()).ok).toBeDefined();
  });

  it('does read the same export from protobuf as from JSON', () => {
    const attributes = [{ key: 'n', value: { intValue: '-5' } }, { key: 'big', value: { intValue: '9007199254740993' } }, { key: 'd', value: { doubleValue: 0.25 } }, { key: 'b', value: { boolValue: true } }, { key: 'bytes', value: { bytesValue: 'AQI=' } },
      { key: 'map', value: { kvlistValue: { values: [{ key: 'list', value: { arrayValue: { values: [{ stringValue: 'x' }, { intValue: '1' }] } } }, { key: '__proto__', value: { stringValue: 'p' } }] } } }];
    const resource = [{ key: 'service.name', value: { stringValue: 'a' } }, { key: 'host.name', value: { stringValue: 'h' } }, { key: 'pod', value: { stringValue: 'p-1' } }];
    const logs = [
      { timeUnixNano: '1793527200000000001', severityNumber: 9, body: { stringValue: 'same' }, attributes, traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', eventName: 'checkout.done' },
      { observedTimeUnixNano: '1793527200000000002', severityText: 'LOUD', body: { kvlistValue: { values: [{ key: 'message', value: { stringValue: 'map' } }] } } },
      { timeUnixNano: '0', body: {} },
    ];
    const json: OtlpRequest = { resourceLogs: [{ resource: { attributes: resource }, scopeLogs: [{ scope: { name: 'lib' }, logRecords: logs }] }] };
    const bytes = (id: string | undefined) => (id === undefined ? undefined : Buffer.from(id, 'hex'));
    const message = ExportLogsServiceRequest.fromObject({ resourceLogs: [{ resource: { attributes: resource.map((a) => ({ ...a })) }, scopeLogs: [{ scope: { name: 'lib' }, logRecords: logs.map((l) => ({ ...l, traceId: bytes((l as { traceId?: string }).traceId), spanId: bytes((l as { spanId?: string }).spanId) })) }] }] });
    const encoded = ExportLogsServiceRequest.encode(message).finish();
    const fromJson = plain(otlpRecords(json));
    expect(plain(readOtlpProtobuf(encoded))).toEqual(fromJson);
    expect(plain(otlpRecords(ExportLogsServiceRequest.decode(encoded) as OtlpRequest))).toEqual(fromJson);
    expect(fieldsOf(fromJson[0])).toEqual({ host: 'h', n: -5, big: '9007199254740993n', d: 0.25, b: true, bytes: 'AQI=', map: { list: ['x', 1], ['__proto__']: 'p' }, 'event.name': 'checkout.done' });
  });

  it('does read protobuf fields in any order, skipping those it does not know', () => {
    const kv = (w: protobuf.Writer, key: string, value: string) => w.fork().uint32(10).string(key).uint32(18).fork().uint32(10).string(value).ldelim().ldelim();
    const w = protobuf.Writer.create();
    w.uint32(10).fork(); // resourceLogs
    w.uint32(18).fork(); // scopeLogs, before the resource
    w.uint32(18).fork().uint32(42).fork().uint32(10).string('late resource').ldelim().uint32(9).fixed64(1793527200000000000).uint32(800).uint32(7).ldelim(); // a log record with an unknown field 100
    w.ldelim();
    w.uint32(10).fork().uint32(10); // resource, attributes
    kv(w, 'service.name', 'after').ldelim();
    w.uint32(26).string('https://schema').ldelim(); // schema_url, unknown to the reader
    const [r] = readOtlpProtobuf(w.finish());
    expect(r).toMatchObject({ service: 'after', line: 'late resource', timeUnixNano: 1793527200000000000n });
  });

  it('does refuse bytes that are no OTLP message', () => {
    expect(() => readOtlpProtobuf(new Uint8Array([0x0a, 0xff, 0xff]))).toThrow();
  });
});
