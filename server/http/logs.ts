// POST /logs, LogFlow's own protocol, made forgiving: whatever shape the body has (records.ts), the
// service from `?service=` or a header when the records name none, then the one ingest path and the
// answer shared/http.ts defines for every client.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LogFlowError } from '../../shared/errors.ts';
import { ingestReply } from '../../shared/http.ts';
import { MAX_SHORT_TEXT } from '../../shared/limits.ts';
import type { IngestRecord, RecordDefaults } from '../../shared/normalize/record.ts';
import { wellFormed } from '../../shared/parse/unicode.ts';
import type { IngestResult } from '../ingest/ingest.ts';
import { readBody } from './body.ts';
import { bodyKind, splitRecords } from './records.ts';
import { sendJson } from './respond.ts';

/** The header that names the service of records that name none, for agents that cannot add a query parameter. */
export const SERVICE_HEADER = 'x-logflow-service';
const PARAMS = new Set(['service']);

export interface LogsRequest {
  records: IngestRecord[];
  defaults: RecordDefaults;
}

/** The records of a POST /logs request; throws what makes the whole request unusable (415, 413, 400). */
export async function readLogsRequest(req: IncomingMessage, url: URL, maxBytes: number): Promise<LogsRequest> {
  const defaults = defaultsOf(req, url);
  const body = (await readBody(req, maxBytes)).toString('utf8');
  const kind = bodyKind(req.headers['content-type'], body);
  if (!kind) {
    throw new LogFlowError('UNSUPPORTED_MEDIA_TYPE', `Content-Type "${req.headers['content-type']}" is not accepted: send application/json (an event, an array of events, or events back to back), application/x-ndjson (one event per line) or text/plain (one log line per line)`);
  }
  const records = splitRecords(body, kind);
  if (!records.length) throw new LogFlowError('BAD_REQUEST', 'the body holds no events: send a JSON object such as {"message":"payment failed","level":"error"}, or log lines as text/plain');
  return { records, defaults };
}

function defaultsOf(req: IncomingMessage, url: URL): RecordDefaults {
  for (const key of url.searchParams.keys()) {
    if (!PARAMS.has(key)) throw new LogFlowError('BAD_REQUEST', `unknown parameter "${key}" on POST /logs: the only one is service (the service of events that name none)`);
  }
  return requestDefaults(req, url);
}

/**
 * What a request says for all of its records, on every ingest route alike: the service of records
 * that name none, from `?service=` or the X-LogFlow-Service header. Throws BAD_REQUEST for an empty or
 * overlong name.
 */
export function requestDefaults(req: IncomingMessage, url: URL): RecordDefaults {
  const header = req.headers[SERVICE_HEADER];
  const service = url.searchParams.get('service') ?? (typeof header === 'string' ? header : undefined);
  if (service === undefined) return {};
  const name = wellFormed(service.trim());
  if (name === '' || name.length > MAX_SHORT_TEXT) {
    throw new LogFlowError('BAD_REQUEST', `the service named by ?service= or ${SERVICE_HEADER} must be 1-${MAX_SHORT_TEXT} characters (got ${name.length})`);
  }
  return { service: name };
}

/** 200 when every event is stored; 400 naming each refused one and counting the stored ones (shared/http.ts ingestReply). */
export function answerLogs(res: ServerResponse, result: IngestResult): void {
  const reply = ingestReply(result.accepted, result.refused);
  sendJson(res, reply.status, reply.body);
}
