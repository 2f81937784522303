import { describe, expect, it } from 'vitest';
import { normalizeRecord } from '../../shared/normalize/normalize.ts';
import { otlpRecords } from './otlp-records.ts';
import { ExportLogsServiceRequest, type OtlpLogRecord, type OtlpRequest } from './otlp-schema.ts';

const request = (log: OtlpLogRecord, resource: { key: string; value: object }[] = []): OtlpRequest => ({ resourceLogs: [{ resource: { attributes: resource }, scopeLogs: [{ logRecords: [log] }] }] });
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
    expect(plain(r!.fields)).toEqual({ severity: 'LOUD' });
  });

  it('does turn attribute values into what they hold, 64-bit integers exactly', () => {
    const [r] = otlpRecords(request({ attributes: [
      { key: 'n', value: { intValue: '42' } }, { key: 'big', value: { intValue: '9007199254740993' } }, { key: 'd', value: { doubleValue: 1.5 } }, { key: 'b', value: { boolValue: false } },
      { key: 'bytes', value: { bytesValue: 'AQI=' } }, { key: 'list', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 1 }] } } },
      { key: 'map', value: { kvlistValue: { values: [{ key: 'x', value: { stringValue: 'y' } }] } } }, { key: '__proto__', value: { stringValue: 'kept' } }, { key: 'empty', value: {} },
    ] }));
    expect(plain(r!.fields)).toEqual({ n: 42, big: '9007199254740993n', d: 1.5, b: false, bytes: 'AQI=', list: ['a', 1], map: { x: 'y' }, ['__proto__']: 'kept', empty: null });
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
    let v = (r!.fields as Record<string, unknown>).deep;
    for (let i = 0; i < 32; i++) v = (v as unknown[])[0];
    expect(typeof v).toBe('string');
  });

  it('does read the same export from protobuf as from JSON', () => {
    const json = request({ timeUnixNano: '1793527200000000001', severityNumber: 9, body: { stringValue: 'same' }, attributes: [{ key: 'n', value: { intValue: '-5' } }], traceId: '4bf92f3577b34da6a3ce929d0e0e4736' }, [{ key: 'service.name', value: { stringValue: 'a' } }]);
    const message = ExportLogsServiceRequest.fromObject({ resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'a' } }] }, scopeLogs: [{ logRecords: [{ timeUnixNano: '1793527200000000001', severityNumber: 9, body: { stringValue: 'same' }, attributes: [{ key: 'n', value: { intValue: '-5' } }], traceId: Buffer.from('4bf92f3577b34da6a3ce929d0e0e4736', 'hex') }] }] }] });
    const decoded = ExportLogsServiceRequest.decode(ExportLogsServiceRequest.encode(message).finish());
    expect(plain(otlpRecords(decoded as OtlpRequest))).toEqual(plain(otlpRecords(json)));
  });
});
