import type { LogEvent } from '../../../shared/event.ts';
import type { Level } from '../../../shared/levels.ts';
import type { Cursor, SearchPage, SearchQuery } from '../../../shared/query.ts';

export interface SearchBody {
  query: { bool: { filter: Record<string, unknown>[] } };
  sort: [{ timestamp: 'desc' }, { event_id: 'desc' }];
  size: number;
  search_after?: [number, string];
  track_total_hits: false;
}

/** One hit as OpenSearch returns it; only what we read. */
export interface RawHit {
  _source?: unknown;
  sort?: unknown[];
}

/**
 * The search body for a query. We ask for limit + 1 hits: the extra one only says whether another
 * page exists, so the last page never ends with a cursor that leads to an empty page.
 */
export function toSearchBody(q: SearchQuery): SearchBody {
  const filter: Record<string, unknown>[] = [{ term: { project_id: q.projectId } }];
  if (q.service !== undefined) filter.push({ term: { service: q.service } });
  if (q.levels?.length) filter.push({ terms: { level: q.levels } });
  if (q.fromMs !== undefined || q.toMs !== undefined) {
    const range: Record<string, unknown> = { format: 'epoch_millis' };
    if (q.fromMs !== undefined) range.gte = q.fromMs;
    if (q.toMs !== undefined) range.lt = q.toMs;
    filter.push({ range: { timestamp: range } });
  }
  const text = q.text?.trim();
  if (text) {
    // simple_query_string never fails on odd input. flags NONE turns off its operators (-, |, *, "...")
    // so that "payment -timeout" means both words, as the contract says, and not "payment without timeout".
    filter.push({ simple_query_string: { query: text, fields: ['message'], default_operator: 'and', flags: 'NONE' } });
  }
  const body: SearchBody = {
    query: { bool: { filter } },
    // event_id breaks ties: (timestamp, event_id) is unique within a project, so no hit is skipped
    // or repeated across pages even when many events share one millisecond.
    sort: [{ timestamp: 'desc' }, { event_id: 'desc' }],
    size: q.limit + 1,
    track_total_hits: false,
  };
  if (q.after) body.search_after = [q.after.timestampMs, q.after.eventId];
  return body;
}

/** The first `limit` hits as events, and a cursor after the last one when the extra hit came back. */
export function toSearchPage(hits: RawHit[], limit: number): SearchPage {
  const page = hits.slice(0, limit);
  const events = page.map((h) => fromHit(h._source));
  const last = page[page.length - 1];
  if (hits.length <= limit || !last) return { hits: events };
  return { hits: events, nextCursor: cursorOf(last) };
}

/** The sort values OpenSearch compared are exactly what search_after needs next time. */
function cursorOf(hit: RawHit): Cursor {
  const [ms, id] = hit.sort ?? [];
  if (typeof ms === 'number' && typeof id === 'string') return { timestampMs: ms, eventId: id };
  const e = fromHit(hit._source);
  return { timestampMs: Date.parse(e.timestamp), eventId: e.event_id };
}

const OPTIONAL = ['trace_id', 'request_id', 'host', 'env'] as const;

/** A stored document back to the event it came from; absent optional fields stay absent. */
export function fromHit(source: unknown): LogEvent {
  const s = (source ?? {}) as Record<string, unknown>;
  const event: LogEvent = {
    event_id: String(s.event_id),
    project_id: Number(s.project_id),
    timestamp: String(s.timestamp),
    ingest_ts: String(s.ingest_ts),
    service: String(s.service),
    level: s.level as Level,
    message: String(s.message ?? ''),
  };
  for (const k of OPTIONAL) {
    if (typeof s[k] === 'string') event[k] = s[k];
  }
  if (s.metadata !== null && typeof s.metadata === 'object' && !Array.isArray(s.metadata)) {
    event.metadata = s.metadata as Record<string, unknown>;
  }
  return event;
}
