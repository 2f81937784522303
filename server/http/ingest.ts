import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { LogFlowError } from '../../shared/errors.ts';
import { enrichEvent, validateEvent, type LogEvent } from '../../shared/event.ts';
import type { Rejection } from '../../shared/http.ts';
import { bodyFormat, readBody, splitEvents } from './body.ts';


export interface IngestResult {
  events: LogEvent[];
  rejected: Rejection[];
}

/**
 * Turns a POST /logs request into enriched events and the reasons for those refused. Throws for what
 * makes the whole request unusable (wrong type, too large, not JSON, nothing valid in it).
 */
export async function parseIngest(req: IncomingMessage, projectId: number, maxBytes: number): Promise<IngestResult> {
  const format = bodyFormat(req.headers['content-type']);
  if (!format) {
    throw new LogFlowError('UNSUPPORTED_MEDIA_TYPE', `Content-Type "${req.headers['content-type']}" is not accepted: send application/json (one event or an array) or application/x-ndjson (one event per line)`);
  }
  const body = await readBody(req, maxBytes);
  const items = splitEvents(body.toString('utf8'), format);
  if (!items.length) throw new LogFlowError('BAD_REQUEST', 'the body holds no events');
  const ingestTs = new Date().toISOString();
  const events: LogEvent[] = [];
  const rejected: Rejection[] = [];
  items.forEach((item, index) => {
    if ('error' in item) return rejected.push({ index, reason: item.error });
    const v = validateEvent(item.value);
    if (v.ok) events.push(enrichEvent(v.event, projectId, ingestTs, randomUUID));
    else rejected.push({ index, reason: v.reason });
  });
  return { events, rejected };
}
