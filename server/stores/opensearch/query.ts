import type { LogEvent } from '../../../shared/event.ts';
import type { Level } from '../../../shared/levels.ts';
import { existsPrefixes, isColumnField, isExists, rangeBounds } from '../../../shared/query/evaluate.ts';
import type { Cursor, QueryScope, SearchPage, SearchQuery } from '../../../shared/query/search.ts';
import { fieldTerm } from '../../../shared/query/terms.ts';
import type { Clause, Term } from '../../../shared/query/tree.ts';
import { SEARCH_VERSION_FIELD } from './mapping.ts';

type Dsl = Record<string, unknown>;

export interface SearchBody {
  query: { bool: { filter: Dsl[] } };
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
 * The filters of a query: the project, the time range and one clause per group of the tree. Only
 * term-level queries on terms LogFlow made (terms.ts) and match on pre-cut words: nothing here is
 * parsed by OpenSearch's own query syntax, so no input can make a search fail.
 */
export function toFilters(q: QueryScope): Dsl[] {
  const filter: Dsl[] = [{ term: { project_id: q.projectId } }];
  if (q.fromMs !== undefined || q.toMs !== undefined) {
    const range: Dsl = { format: 'epoch_millis' };
    if (q.fromMs !== undefined) range.gte = q.fromMs;
    if (q.toMs !== undefined) range.lt = q.toMs;
    filter.push({ range: { timestamp: range } });
  }
  for (const group of q.query.all) {
    filter.push(group.length === 1 ? toClause(group[0]!) : { bool: { should: group.map(toClause), minimum_should_match: 1 } });
  }
  return filter;
}

function toClause(c: Clause): Dsl {
  const q = toTerm(c.term);
  return c.negate ? { bool: { must_not: [q] } } : q;
}

const MATCH_NONE: Dsl = { match_none: {} };

function toTerm(t: Term): Dsl {
  switch (t.kind) {
    case 'level':
      return t.levels.length ? { terms: { level: t.levels satisfies Level[] } } : MATCH_NONE;
    case 'text':
      return textQuery(t.tokens, t.prefix, t.raw);
    case 'field':
      if (isColumnField(t.field)) return t.prefix ? { prefix: { [t.field]: t.value } } : { term: { [t.field]: t.value } };
      if (isExists(t)) return anyOf(existsPrefixes(t.field).map((prefix) => ({ prefix: { fields: prefix } })));
      if (t.prefix) return { prefix: { fields: fieldTerm(t.field, t.value) } };
      return { term: { fields: fieldTerm(t.field, t.value) } };
    case 'range': {
      if (isColumnField(t.field)) return MATCH_NONE;
      const b = rangeBounds(t.field, t.op, t.value);
      return { range: { nums: { [b.loOpen ? 'gt' : 'gte']: b.lo, [b.hiOpen ? 'lt' : 'lte']: b.hi } } };
    }
  }
}

/**
 * Words: one word is a term; several (a phrase, or "req-123") must follow each other, which
 * match_phrase checks on positions (the whitespace analyser gives back exactly the words we cut).
 * Documents indexed before `words` existed are matched on their message as they were then.
 */
function textQuery(tokens: string[], prefix: string | undefined, raw: string): Dsl {
  const parts: Dsl[] = [];
  if (tokens.length === 1) parts.push({ term: { words: tokens[0] } });
  if (tokens.length > 1) parts.push({ match_phrase: { words: { query: tokens.join(' '), analyzer: 'whitespace' } } });
  if (prefix !== undefined) parts.push({ prefix: { words: prefix } });
  const current = parts.length === 1 ? parts[0]! : { bool: { filter: parts } };
  const legacy = { bool: { must_not: [{ exists: { field: SEARCH_VERSION_FIELD } }], filter: [{ match: { message: { query: raw, operator: 'and' } } }] } };
  return anyOf([current, legacy]);
}

function anyOf(qs: Dsl[]): Dsl {
  return qs.length === 1 ? qs[0]! : { bool: { should: qs, minimum_should_match: 1 } };
}

/**
 * The search body for a query. We ask for limit + 1 hits: the extra one only says whether another
 * page exists, so the last page never ends with a cursor that leads to an empty page.
 */
export function toSearchBody(q: SearchQuery): SearchBody {
  const body: SearchBody = {
    query: { bool: { filter: toFilters(q) } },
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
