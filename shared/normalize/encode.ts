// The stored form of an event (LogEvent as JSON text, the stream entry the worker reads), written by
// hand from a NormalEvent: the metadata members are already JSON text, and building an object for
// JSON.stringify would decode and re-encode them for every event.
import { jsonString } from '../parse/json-string.ts';
import type { NormalEvent } from './record.ts';

/** `JSON.stringify(logEvent)` of the event (shared/event.ts LogEvent): its keys and values, in its order. */
export function encodeEvent(e: NormalEvent, projectId: number, ingestTs: string, eventId: string): string {
  let json = `{"event_id":${jsonString(eventId)},"project_id":${projectId},"timestamp":"${e.timestamp}","ingest_ts":"${ingestTs}","service":${jsonString(e.service)},"level":"${e.level}","message":${jsonString(e.message)}`;
  if (e.trace_id !== undefined) json += `,"trace_id":${jsonString(e.trace_id)}`;
  if (e.request_id !== undefined) json += `,"request_id":${jsonString(e.request_id)}`;
  if (e.host !== undefined) json += `,"host":${jsonString(e.host)}`;
  if (e.env !== undefined) json += `,"env":${jsonString(e.env)}`;
  if (e.metadata !== '') json += `,"metadata":{${e.metadata}}`;
  return `${json}}`;
}
