import { context, diag, DiagLogLevel, trace, TraceFlags } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter as JsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogEvent } from '../shared/event.ts';
import { startBothStores, type BothStores } from './both-stores.ts';

// The OpenTelemetry JS SDK's own OTLP/HTTP log exporters, protobuf and JSON, gzip on, pointed at
// LogFlow with nothing but the URL and a Bearer key: each batch is exported twice, as an exporter
// resends one after a timeout, and every record is then found once, with its fields, in both stores.
const T0 = Date.UTC(2026, 10, 1, 10) / 1000; // 2026-11-01T10:00:00Z, in seconds
const at = (s: number, ns = 0): [number, number] => [T0 + s, ns];
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const GZIP = 'gzip' as NonNullable<ConstructorParameters<typeof ProtoExporter>[0]>['compression'];

/** Records as the SDK makes them: emitted through a LoggerProvider with this resource, kept for export. */
async function recordsOf(service: string, emit: (logger: ReturnType<LoggerProvider['getLogger']>) => void): Promise<ReadableLogRecord[]> {
  const kept = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': service, 'host.name': 'web-1', 'deployment.environment.name': 'prod' }), processors: [new SimpleLogRecordProcessor({ exporter: kept })] });
  emit(provider.getLogger('shop.payments', '1.4.0'));
  await provider.forceFlush();
  return kept.getFinishedLogRecords();
}

function exportOnce(exporter: LogRecordExporter, records: ReadableLogRecord[]): Promise<{ code: number; error?: Error }> {
  return new Promise((resolve) => exporter.export(records, resolve));
}

describe('when OpenTelemetry SDK exporters send to POST /v1/logs', () => {
  let both: BothStores;
  let key: string;
  const results: { code: number; error?: Error }[] = [];
  const warnings: string[] = [];
  let found: Record<'opensearch' | 'postgres', LogEvent[]>;

  beforeAll(async () => {
    both = await startBothStores();
    key = await both.stack.createProject('otel');
    diag.setLogger({ error: (m, ...a) => warnings.push([m, ...a].join(' ')), warn: (m, ...a) => warnings.push([m, ...a].join(' ')), info: () => {}, debug: () => {}, verbose: () => {} }, DiagLogLevel.WARN);
    const span = trace.setSpanContext(context.active(), { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED });
    const proto = await recordsOf('checkout', (logger) => {
      logger.emit({ timestamp: at(1), severityNumber: SeverityNumber.WARN, severityText: 'WARN', body: 'payment slow proto-1', attributes: { order_id: 42, request_id: 'r-1' }, context: span });
      logger.emit({ timestamp: at(2), severityNumber: SeverityNumber.ERROR, body: { message: 'card declined proto-2', code: 'E42' } });
      logger.emit({ timestamp: at(3), body: '2026-11-01T10:00:03.500Z ERROR plain line proto-3' });
      logger.emit({ timestamp: at(4, 123_456_789), severityText: 'Information', body: 'nanoseconds proto-4' });
      logger.emit({ timestamp: [4_000_000_000, 0], severityNumber: SeverityNumber.INFO, body: 'from 2096 proto-x' });
    });
    const json = await recordsOf('billing', (logger) => {
      logger.emit({ timestamp: at(5), severityNumber: SeverityNumber.TRACE, body: 'invoice detail json-1', attributes: { invoice: { id: 7, lines: [1, 2] } } });
      logger.emit({ timestamp: at(6), severityNumber: SeverityNumber.FATAL, body: 'ledger down json-2', context: span });
    });
    const url = `${both.stack.url}/v1/logs`;
    const headers = { Authorization: `Bearer ${key}` };
    const protoExporter = new ProtoExporter({ url, headers, compression: GZIP });
    const jsonExporter = new JsonExporter({ url, headers, compression: GZIP });
    for (let i = 0; i < 2; i++) {
      results.push(await exportOnce(protoExporter, proto));
      results.push(await exportOnce(jsonExporter, json));
    }
    // Sent last, found last: once it is searchable, the worker has written everything before it.
    results.push(await exportOnce(protoExporter, await recordsOf('checkout', (logger) => logger.emit({ timestamp: at(9), body: 'sentinel otlp-last' }))));
    await protoExporter.shutdown();
    await jsonExporter.shutdown();
    found = await both.search(key, ['--from', '2026-11-01T00:00:00Z', '--to', '2026-11-02T00:00:00Z'], 7);
  });

  afterAll(async () => {
    diag.disable();
    await both?.destroy();
  });

  it('does count every export a success, and tells the exporter of the record it refused', () => {
    expect(results.map((r) => [r.code, r.error?.message])).toEqual(Array.from({ length: 5 }, () => [0, undefined]));
    const partial = warnings.filter((w) => w.includes('Partial Success'));
    expect(partial).toHaveLength(2); // the protobuf batch, each time it was sent
    expect(partial[0]).toMatch(/"rejectedLogRecords":"?1"?.*log record 4: the event's time 2096-.* is more than a day after the server's clock/);
  });

  for (const store of ['opensearch', 'postgres'] as const) {
    it(`does make every record searchable once, with its fields, in ${store}`, () => {
      const hits = found[store];
      const byMarker = (m: string) => hits.filter((h) => h.message.includes(m));
      expect(hits.map((h) => h.message.match(/(proto|json|otlp)-\w+/)?.[0]).sort()).toEqual(['json-1', 'json-2', 'otlp-last', 'proto-1', 'proto-2', 'proto-3', 'proto-4']);
      const [p1] = byMarker('proto-1');
      expect(p1).toMatchObject({ service: 'checkout', level: 'WARN', message: 'payment slow proto-1', timestamp: '2026-11-01T10:00:01.000Z', trace_id: TRACE_ID, request_id: 'r-1', host: 'web-1', env: 'prod' });
      expect(p1!.metadata).toMatchObject({ order_id: 42, span_id: SPAN_ID, 'otel.scope.name': 'shop.payments' });
      expect(byMarker('proto-2')[0]).toMatchObject({ level: 'ERROR', message: 'card declined proto-2', metadata: { code: 'E42' } });
      expect(byMarker('proto-3')[0]).toMatchObject({ level: 'ERROR', timestamp: '2026-11-01T10:00:03.500Z' });
      expect(byMarker('proto-4')[0]).toMatchObject({ level: 'INFO', timestamp: '2026-11-01T10:00:04.123Z' });
      expect(byMarker('json-1')[0]).toMatchObject({ service: 'billing', level: 'DEBUG', host: 'web-1', metadata: { invoice: { id: 7, lines: [1, 2] } } });
      expect(byMarker('json-2')[0]).toMatchObject({ service: 'billing', level: 'ERROR', trace_id: TRACE_ID, metadata: { span_id: SPAN_ID } });
      expect(hits.every((h) => h.metadata?.timestamp_source === undefined)).toBe(true);
    });
  }

  it('does find a record by its trace id and severity', async () => {
    const r = await both.search(key, ['--from', '2026-11-01T00:00:00Z', '--to', '2026-11-02T00:00:00Z', '--level', 'ERROR', `trace_id:${TRACE_ID}`], 1);
    for (const store of ['opensearch', 'postgres'] as const) expect(r[store].map((h) => h.message), store).toEqual(['ledger down json-2']);
  });
});
