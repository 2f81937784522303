// POST /v1/logs: OTLP/HTTP logs (the OpenTelemetry SDKs' and Collector's `otlphttp` exporter, Fluent
// Bit's `opentelemetry` output), protobuf or JSON, gzip or not. Read into records (otlp-records.ts),
// through the one ingest path, answered as the OTLP specification says a client reads an answer:
// - 200 and an ExportLogsServiceResponse in the request's encoding; when some records were refused,
//   its `partial_success` counts them and says why. Clients log that and do not retry, which is right:
//   a refused record can never be stored as sent, and the others are stored.
// - 429 or 503 with Retry-After when nothing was taken and the same request can succeed later: the
//   only statuses (with 502 and 504) OTLP clients retry.
// - any other 4xx (a body that is no OTLP, a bad key) with a google.rpc.Status saying why: never retried.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LogFlowError } from '../../shared/errors.ts';
import type { Rejection } from '../../shared/http.ts';
import { readBody } from './body.ts';
import { requestDefaults } from './logs.ts';
import type { IngestRecord } from '../../shared/normalize/record.ts';
import { readOtlpProtobuf } from './otlp-protobuf.ts';
import { otlpRecords } from './otlp-records.ts';
import { ExportLogsServiceResponse, RpcStatus, type OtlpRequest } from './otlp-schema.ts';
import type { ProtocolContext, ProtocolRoute } from './protocol.ts';
import { errorStatus, sendJson } from './respond.ts';

export const OTLP_LOGS_PATH = '/v1/logs';

type Encoding = 'protobuf' | 'json';

/** google.rpc.Code for each status we answer. */
const RPC_CODE: Record<number, number> = { 400: 3, 401: 16, 403: 7, 404: 5, 405: 12, 413: 8, 415: 3, 429: 8, 500: 13, 503: 14 };
const PROTOBUF = 'application/x-protobuf';
/** The answer to an export stored whole: an empty ExportLogsServiceResponse, no bytes in protobuf. */
const SUCCESS = Object.freeze({});
const EMPTY = new Uint8Array(0);

export const otlpRoute: ProtocolRoute = {
  name: 'otlp',
  matches: (_req, url) => url.pathname === OTLP_LOGS_PATH,
  handle,
  sendError(req, res, err) {
    const { e, status, headers } = errorStatus(err);
    send(res, encodingOf(req) ?? 'json', status, { code: RPC_CODE[status] ?? 2, message: e.message }, RpcStatus, headers);
  },
};

async function handle(req: IncomingMessage, res: ServerResponse, url: URL, ctx: ProtocolContext): Promise<void> {
  if (req.method !== 'POST') throw new LogFlowError('METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${OTLP_LOGS_PATH}: OTLP/HTTP exports logs with POST`);
  const project = await ctx.authenticate(req);
  const encoding = encodingOf(req);
  if (encoding === undefined) {
    throw new LogFlowError('UNSUPPORTED_MEDIA_TYPE', `Content-Type "${req.headers['content-type'] ?? ''}" is not OTLP: send application/x-protobuf or application/json`);
  }
  const defaults = requestDefaults(req, url);
  const records = decode(await readBody(req, ctx.maxBodyBytes), encoding);
  const refused = records.length === 0 ? [] : (await ctx.ingest.ingest(project.id, records, defaults)).refused;
  const answer = refused.length === 0 ? SUCCESS : { partialSuccess: { rejectedLogRecords: refused.length, errorMessage: partialMessage(refused, records.length) } };
  send(res, encoding, 200, answer, ExportLogsServiceResponse);
}

function encodingOf(req: IncomingMessage): Encoding | undefined {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === PROTOBUF || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return undefined;
}

function decode(body: Buffer, encoding: Encoding): IngestRecord[] {
  if (encoding === 'protobuf') {
    try {
      return readOtlpProtobuf(body);
    } catch (err) {
      throw new LogFlowError('BAD_REQUEST', `the body is not an OTLP ExportLogsServiceRequest in protobuf (${(err as Error).message}): send what an OpenTelemetry exporter sends`);
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new LogFlowError('BAD_REQUEST', `the body is not valid JSON (${(err as Error).message}): send an OTLP/JSON ExportLogsServiceRequest, such as {"resourceLogs":[...]}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !shapeIsOtlp(value as OtlpRequest)) {
    throw new LogFlowError('BAD_REQUEST', 'the body is not an OTLP/JSON ExportLogsServiceRequest: send {"resourceLogs":[{"resource":{...},"scopeLogs":[{"logRecords":[...]}]}]}');
  }
  return otlpRecords(value as OtlpRequest);
}

/** The arrays the walk goes through are arrays and their items objects: anything else is no OTLP. */
function shapeIsOtlp(request: OtlpRequest): boolean {
  const list = (v: unknown) => v === undefined || v === null || (Array.isArray(v) && v.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x)));
  if (!list(request.resourceLogs)) return false;
  for (const r of request.resourceLogs ?? []) {
    if (!list(r.resource?.attributes) || !list(r.scopeLogs)) return false;
    for (const s of r.scopeLogs ?? []) {
      if (!list(s.logRecords)) return false;
      for (const l of s.logRecords ?? []) if (!list(l.attributes)) return false;
    }
  }
  return true;
}

/** What partial_success.error_message says: how many, and the first reasons, by the record's place in the request. */
function partialMessage(refused: Rejection[], total: number): string {
  const shown = refused.slice(0, 3).map((r) => `log record ${r.index}: ${r.reason}`).join('; ');
  const more = refused.length > 3 ? `; and ${refused.length - 3} more` : '';
  const stored = total - refused.length;
  return `${refused.length} of ${total} log records were refused and will never be stored as sent (records counted from 0 across resources and scopes): ${shown}${more}. The other ${stored} are stored.`;
}

function send(res: ServerResponse, encoding: Encoding, status: number, message: Record<string, unknown>, type: typeof RpcStatus, headers: Record<string, string> = {}): void {
  if (encoding === 'json') {
    // proto3's JSON mapping writes 64-bit integers as strings.
    const body = message.partialSuccess ? { partialSuccess: { ...(message.partialSuccess as object), rejectedLogRecords: String((message.partialSuccess as { rejectedLogRecords: number }).rejectedLogRecords) } } : message;
    return sendJson(res, status, body, headers);
  }
  const body = message === SUCCESS ? EMPTY : type.encode(type.fromObject(message)).finish();
  res.writeHead(status, { 'content-type': PROTOBUF, 'content-length': body.length, ...headers });
  res.end(body);
}
