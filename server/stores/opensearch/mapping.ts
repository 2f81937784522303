import type { LogEvent } from '../../../shared/event.ts';
import { documentTerms } from '../../../shared/query/event-terms.ts';
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

/**
 * An event is its project, its time and its event_id, in every store: PostgreSQL's key (partitioned by
 * time) is the same, so two events a client gave one id at two times (a `_bulk` `_id` reused) are two
 * events in both stores, and a copy sent again is one.
 */
export function documentId(e: Pick<LogEvent, 'project_id' | 'event_id' | 'timestamp'>): string {
  return `${e.project_id}:${e.timestamp}:${e.event_id}`;
}

/** Set on every document that carries the search terms below; older documents are searched by message. */
export const SEARCH_VERSION_FIELD = 'sv';
/** Indexed from the event (shared/query/event-terms.ts), never returned: _source leaves them out. */
const DERIVED = ['words', 'fields', 'field_names', 'nums', SEARCH_VERSION_FIELD];

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
  const terms = documentTerms(e);
  // One string per value, the words LogFlow cut joined by spaces; '#' holds the place of an
  // occurrence PostgreSQL would not keep a position for (no query word is ever '#').
  doc.words = terms.values.map((v) => v.map((w) => w ?? '#').join(' '));
  doc.fields = terms.fields;
  doc.field_names = terms.fieldNames;
  doc.nums = terms.numbers;
  doc[SEARCH_VERSION_FIELD] = 1;
  return doc;
}

const DATE = { type: 'date', format: 'strict_date_optional_time||epoch_millis' } as const;
const KEYWORD = { type: 'keyword' } as const;

/**
 * metadata is `object` with `enabled: false`: kept in _source and returned with each hit, never
 * mapped key by key (a project must not be able to grow the mapping to its field limit and make every
 * other project's writes fail). flat_object was tried first and OpenSearch 2.19 misbehaves with it in
 * two ways a client can trigger: a metadata string over 32766 UTF-8 bytes (a stack trace) makes the
 * whole event fail with "immense term", and metadata nested a few hundred levels deep throws a
 * StackOverflowError in FlatObjectFieldMapper that kills the node.
 * What makes metadata searchable instead is a fixed set of fields LogFlow fills (shared/query/event-terms.ts),
 * each with bounded terms: `words` (the words of the message, the text fields and every metadata
 * string, cut by LogFlow and split again only at the spaces it put there), `fields` (path=value of each
 * metadata leaf, at most 256 characters of value), `field_names`, `nums` (path=<sortable number>), and
 * `sv`, which says the document has them.
 */
export const SEARCH_PROPERTIES = {
  words: { type: 'text', analyzer: 'whitespace', norms: false },
  fields: KEYWORD,
  field_names: KEYWORD,
  nums: { type: 'keyword', doc_values: false },
  [SEARCH_VERSION_FIELD]: { type: 'byte' },
} as const;

export const MAPPINGS = {
  // strict: a field we did not plan for is a bug to see, not a mapping to grow.
  dynamic: 'strict',
  _source: { excludes: DERIVED },
  properties: {
    event_id: KEYWORD,
    project_id: { type: 'long' },
    timestamp: DATE,
    ingest_ts: DATE,
    service: KEYWORD,
    level: KEYWORD,
    // Searched through `words`; still indexed (without positions) for documents older than them,
    // which a query matches on message as before.
    message: { type: 'text', analyzer: 'standard', index_options: 'docs', norms: false },
    trace_id: KEYWORD,
    request_id: KEYWORD,
    host: KEYWORD,
    env: KEYWORD,
    metadata: { type: 'object', enabled: false },
    ...SEARCH_PROPERTIES,
  },
} as const;

/**
 * The body of PUT <indexPattern>/_mapping that brings indices created before the search fields
 * existed up to date: an event that lands in one of them later (a late or old timestamp) carries the
 * fields, and strict mapping would refuse it otherwise. Adding fields is all OpenSearch allows on a
 * live index, and all this needs; documents already there keep being found by message (see query.ts).
 */
export function existingIndexMapping() {
  return { properties: SEARCH_PROPERTIES };
}

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
