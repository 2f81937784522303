// The events bench/ingest.bench.ts sends to POST /logs, and the same events as two other agents send
// them: the OpenTelemetry SDK's OTLP/HTTP protobuf exporter (its own serializer, gzip; the message as
// the body, the metadata as attributes), and an Elasticsearch bulk request (the same JSON documents
// under `create` actions without `_id`, gzip). Neither carries an id of its own, as those agents send
// none: the server derives one for each event, as it does for POST /logs events sent without one.
import { gzipSync } from 'node:zlib';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';

/** Bodies to send to one path, and how many events an answer says were stored. */
export interface Load {
  name: string;
  path: string;
  contentType: string;
  bodies: Buffer[];
  events: number;
  accepted(status: number, body: string, sent: number): number;
}

const T0 = Date.parse('2026-11-01T00:00:00Z');

/** Events as `logflow ship` writes them for a pino JSON line and a text line, in turn; `withId: false`, as other agents write them, without an id. */
export function shipEvent(i: number, withId = true): string {
  const base = `{${withId ? `"event_id":"f1a2b3:${i * 97}",` : ''}"timestamp":"${new Date(Date.parse('2026-11-01T00:00:00Z') + i).toISOString()}","service":"bench"`;
  return i % 2 === 0
    ? `${base},"level":"INFO","message":"request handled in ${i % 300} ms","host":"web-1","metadata":{"pid":4242,"req":{"method":"GET","url":"/api/v1/orders/${i}"},"user":${i % 1000}}}`
    : `${base},"level":"ERROR","message":"2026-11-01T00:00:00.000Z ERROR payment failed for order ${i}: card declined","host":"web-1"}`;
}


/** The event `i` of the bench, as fields: half pino-like JSON with metadata, half a text line with its level and time. */
function eventOf(i: number): { ms: number; error: boolean; message: string; attributes?: Record<string, unknown> } {
  return i % 2 === 0
    ? { ms: T0 + i, error: false, message: `request handled in ${i % 300} ms`, attributes: { pid: 4242, req: { method: 'GET', url: `/api/v1/orders/${i}` }, user: i % 1000 } }
    : { ms: T0 + i, error: true, message: `2026-11-01T00:00:00.000Z ERROR payment failed for order ${i}: card declined` };
}

async function otlpBody(start: number, n: number): Promise<Buffer> {
  const kept = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'bench', 'host.name': 'web-1' }), processors: [new SimpleLogRecordProcessor({ exporter: kept })] });
  const logger = provider.getLogger('bench');
  for (let i = start; i < start + n; i++) {
    const e = eventOf(i);
    logger.emit({ timestamp: e.ms, severityNumber: e.error ? SeverityNumber.ERROR : SeverityNumber.INFO, body: e.message, ...(e.attributes ? { attributes: e.attributes as never } : {}) });
  }
  await provider.forceFlush();
  return gzipSync(ProtobufLogsSerializer.serializeRequest(kept.getFinishedLogRecords())!, { level: 1 });
}

export async function otlpLoad(events: number, batch: number): Promise<Load> {
  const bodies: Buffer[] = [];
  for (let start = 0; start < events; start += batch) bodies.push(await otlpBody(start, Math.min(batch, events - start)));
  return {
    name: 'POST /v1/logs (OTLP protobuf)',
    path: '/v1/logs',
    contentType: 'application/x-protobuf',
    bodies,
    events,
    // An empty ExportLogsServiceResponse: every record stored (a partial_success would make it longer).
    accepted: (status, body, sent) => (status === 200 && body.length === 0 ? sent : 0),
  };
}

export function bulkLoad(events: number, batch: number): Load {
  const bodies: Buffer[] = [];
  for (let start = 0; start < events; start += batch) {
    let text = '';
    for (let i = start; i < Math.min(start + batch, events); i++) text += `{"create":{"_index":"bench"}}\n${shipEvent(i, false)}\n`;
    bodies.push(gzipSync(text, { level: 1 }));
  }
  return {
    name: 'POST /_bulk (Elasticsearch)',
    path: '/_bulk',
    contentType: 'application/x-ndjson',
    bodies,
    events,
    accepted: (status, body) => (status === 200 ? (JSON.parse(body) as { items: Record<string, { status: number }>[] }).items.filter((item) => Object.values(item)[0]!.status === 201).length : 0),
  };
}

/** How many events of a body there are, for answers that only say "all" (OTLP). */
export function eventsPerBody(load: Load, index: number, batch: number): number {
  return Math.min(batch, load.events - index * batch);
}
