// The same events as each ingest protocol carries them, 1000 to a request, gzip level 1 (what
// `logflow ship` sends): LogFlow's NDJSON for POST /logs, an OTLP ExportLogsServiceRequest in
// protobuf made by the OpenTelemetry encoder for POST /v1/logs, Elasticsearch bulk NDJSON for POST /_bulk.
import { gzipSync } from 'node:zlib';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { Level } from '../../shared/levels.ts';
import type { ClientEvent } from './events.ts';
import type { Body, Endpoint } from './http-load.ts';

export type Protocol = 'logs' | 'otlp' | 'bulk';

export const PROTOCOLS: Record<Protocol, { label: string; path: string; contentType: string }> = {
  logs: { label: 'POST /logs (NDJSON)', path: '/logs', contentType: 'application/x-ndjson' },
  otlp: { label: 'POST /v1/logs (OTLP protobuf)', path: '/v1/logs', contentType: 'application/x-protobuf' },
  bulk: { label: 'POST /_bulk (Elasticsearch bulk)', path: '/_bulk', contentType: 'application/x-ndjson' },
};

export function endpoint(protocol: Protocol, url: string, apiKey: string): Endpoint {
  return { url, path: PROTOCOLS[protocol].path, headers: { 'x-api-key': apiKey, 'content-type': PROTOCOLS[protocol].contentType, 'content-encoding': 'gzip' } };
}

const gzip = (b: Buffer | Uint8Array | string) => gzipSync(b, { level: 1 });

function logsBody(events: ClientEvent[]): Buffer {
  return gzip(events.map((e) => JSON.stringify(e)).join('\n') + '\n');
}

// As an Elasticsearch shipper (Filebeat, Vector, Logstash) writes a document: @timestamp, the
// message, and the other fields at the top level; the action carries the id.
function bulkBody(events: ClientEvent[]): Buffer {
  let text = '';
  for (const e of events) {
    const { event_id, timestamp, metadata, ...fields } = e;
    text += `${JSON.stringify({ create: { _index: 'logs-bench', _id: event_id } })}\n${JSON.stringify({ '@timestamp': timestamp, ...fields, ...metadata })}\n`;
  }
  return gzip(text);
}

const SEVERITY: Record<Level, SeverityNumber> = { DEBUG: SeverityNumber.DEBUG, INFO: SeverityNumber.INFO, WARN: SeverityNumber.WARN, ERROR: SeverityNumber.ERROR };
const SCOPE = { name: 'logflow-bench', version: '1.0.0' };

/** One Resource object per (service, host, env): the encoder groups records by resource identity, as an SDK's are. */
class Resources {
  private readonly byKey = new Map<string, Resource>();
  get(e: ClientEvent): Resource {
    const key = `${e.service}\u0000${e.host}\u0000${e.env}`;
    let r = this.byKey.get(key);
    if (!r) this.byKey.set(key, (r = resourceFromAttributes({ 'service.name': e.service, 'host.name': e.host, 'deployment.environment': e.env })));
    return r;
  }
}

function otlpRecord(e: ClientEvent, resources: Resources): ReadableLogRecord {
  const ms = Date.parse(e.timestamp);
  const hrTime: [number, number] = [Math.floor(ms / 1000), (ms % 1000) * 1e6];
  const { span_id, ...attributes } = (e.metadata ?? {}) as Record<string, unknown>;
  const record: ReadableLogRecord = {
    hrTime,
    hrTimeObserved: hrTime,
    severityNumber: SEVERITY[e.level],
    severityText: e.level,
    body: e.message,
    resource: resources.get(e),
    instrumentationScope: SCOPE,
    attributes: { ...(attributes as ReadableLogRecord['attributes']), ...(e.request_id ? { request_id: e.request_id } : {}) },
    droppedAttributesCount: 0,
    ...(e.trace_id && typeof span_id === 'string' ? { spanContext: { traceId: e.trace_id, spanId: span_id, traceFlags: 1 } } : {}),
  };
  return record;
}

function otlpBody(events: ClientEvent[], resources: Resources): Buffer {
  const bytes = ProtobufLogsSerializer.serializeRequest(events.map((e) => otlpRecord(e, resources)));
  if (!bytes) throw new Error('the OTLP encoder made no request');
  return gzip(bytes);
}

/** The events in requests of `perRequest`, encoded for `protocol`. */
export function bodies(protocol: Protocol, events: ClientEvent[], perRequest = 1000): Body[] {
  const resources = new Resources();
  const out: Body[] = [];
  for (let i = 0; i < events.length; i += perRequest) {
    const slice = events.slice(i, i + perRequest);
    const payload = protocol === 'logs' ? logsBody(slice) : protocol === 'otlp' ? otlpBody(slice, resources) : bulkBody(slice);
    out.push({ payload, events: slice.length });
  }
  return out;
}
