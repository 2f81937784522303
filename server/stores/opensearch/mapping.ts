import type { LogEvent } from '../../../shared/event.ts';
import { bucketOf, earlierBuckets, type Bucket } from '../time-bucket.ts';

/** Name of the composable index template that shapes every index of a namespace. */
export function templateName(namespace: string): string {
  return `${namespace}-logs`;
}

/** Every index of a namespace, day, month and older alike; what search reads. */
export function indexPattern(namespace: string): string {
  return `${namespace}-logs-*`;
}

/** `<namespace>-logs-YYYY.MM.DD` (a recent day), `-YYYY.MM` (an older month) or `-older` (time-bucket.ts). */
export function indexName(namespace: string, bucket: Bucket): string {
  return `${namespace}-logs-${bucket.parts.length ? bucket.parts.join('.') : 'older'}`;
}

/**
 * The index an event goes to, from what it carries (its timestamp and ingest time), never from the
 * clock: a retried event lands in the index that holds its first copy, so the `create` meets it and
 * answers 409. `earlier` are the finer indices a copy ingested before may be in, to look in first.
 * Undefined when the timestamp is not a time at all.
 */
export function indexFor(namespace: string, e: Pick<LogEvent, 'timestamp' | 'ingest_ts'>): { index: string; earlier: string[] } | undefined {
  const bucket = bucketOf(e.timestamp, e.ingest_ts);
  if (!bucket) return undefined;
  return { index: indexName(namespace, bucket), earlier: earlierBuckets(e.timestamp, bucket).map((b) => indexName(namespace, b)) };
}

/** event_id is unique only within a project, so the project is part of the document id. */
export function documentId(e: Pick<LogEvent, 'project_id' | 'event_id'>): string {
  return `${e.project_id}:${e.event_id}`;
}

/** The stored document: exactly the mapped fields, so a strict mapping never meets a stray key. */
export function toDocument(e: LogEvent): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    event_id: e.event_id,
    project_id: e.project_id,
    timestamp: e.timestamp,
    ingest_ts: e.ingest_ts,
    service: e.service,
    level: e.level,
    message: e.message,
  };
  for (const k of ['trace_id', 'request_id', 'host', 'env', 'metadata'] as const) {
    if (e[k] !== undefined) doc[k] = e[k];
  }
  return doc;
}

const DATE = { type: 'date', format: 'strict_date_optional_time||epoch_millis' } as const;
const KEYWORD = { type: 'keyword' } as const;

/**
 * metadata is `object` with `enabled: false`: kept in _source and returned with each hit, never indexed.
 * flat_object was tried first and OpenSearch 2.19 misbehaves with it in two ways a client can trigger:
 * a metadata string over 32766 UTF-8 bytes (a stack trace) makes the whole event fail with
 * "immense term", and metadata nested a few hundred levels deep throws a StackOverflowError in
 * FlatObjectFieldMapper that kills the node. No query filters on metadata, so nothing is lost.
 */
export const MAPPINGS = {
  // strict: a field we did not plan for is a bug to see, not a mapping to grow.
  dynamic: 'strict',
  properties: {
    event_id: KEYWORD,
    project_id: { type: 'long' },
    timestamp: DATE,
    ingest_ts: DATE,
    service: KEYWORD,
    level: KEYWORD,
    message: { type: 'text', analyzer: 'standard' },
    trace_id: KEYWORD,
    request_id: KEYWORD,
    host: KEYWORD,
    env: KEYWORD,
    metadata: { type: 'object', enabled: false },
  },
} as const;

/** The body of PUT _index_template/<templateName>. PUT replaces, so sending it again is harmless. */
export function indexTemplate(namespace: string) {
  return {
    index_patterns: [indexPattern(namespace)],
    // Above the default 0 so a broad template someone else adds does not tie with ours.
    priority: 100,
    template: {
      settings: { number_of_shards: 1, number_of_replicas: 0, refresh_interval: '1s' },
      mappings: MAPPINGS,
    },
    _meta: { managed_by: 'logflow' },
  };
}
