import { parseTimeBound } from '../../shared/duration.ts';
import { LogFlowError } from '../../shared/errors.ts';
import { parseLevelList } from '../../shared/levels.ts';
import { chooseInterval, DEFAULT_BUCKETS, MAX_BUCKETS } from '../../shared/query/histogram.ts';
import { QueryTooComplex } from '../../shared/query/boolean.ts';
import { parseQuery } from '../../shared/query/parse.ts';
import {
  decodeCursor,
  DEFAULT_FIELD_VALUES,
  DEFAULT_LIMIT,
  FIELDS_SAMPLE,
  MAX_FIELD_VALUES,
  MAX_LIMIT,
  MAX_TIME_MS,
  MIN_TIME_MS,
  type FieldsQuery,
  type QueryScope,
  type SearchQuery,
} from '../../shared/query/search.ts';
import { withClauses, type Clause } from '../../shared/query/tree.ts';

/** Longest q: a query is typed or linked, never a document. */
export const MAX_QUERY_CHARS = 4000;

// What narrows every answer (hits, histogram, fields, tail) the same way.
const SCOPE = ['q', 'service', 'level', 'trace_id', 'request_id', 'from', 'to'];
export const SEARCH_PARAMS = [...SCOPE, 'limit', 'cursor'];
export const HISTOGRAM_PARAMS = [...SCOPE, 'buckets'];
export const FIELDS_PARAMS = [...SCOPE, 'values'];
export const TAIL_PARAMS = ['q', 'service', 'level', 'trace_id', 'request_id'];

/**
 * The query every route shares, scoped to the caller's project. Each bad parameter is a 400 that
 * names it and says what to send: a client's mistake is never a 500.
 */
export function parseScope(params: URLSearchParams, projectId: number, allowed: string[], now = Date.now()): QueryScope {
  for (const key of params.keys()) {
    if (!allowed.includes(key)) throw bad(`unknown parameter "${key}": use ${allowed.join(', ')}`);
    if (params.getAll(key).length > 1) throw bad(`${key} is given more than once: give it once`);
  }
  const q = params.get('q') ?? '';
  if (q.length > MAX_QUERY_CHARS) throw bad(`q is longer than ${MAX_QUERY_CHARS} characters`);
  const clauses: Clause[] = [];
  for (const field of ['service', 'trace_id', 'request_id'] as const) {
    const value = params.get(field)?.trim();
    if (value) clauses.push({ negate: false, term: { kind: 'field', field, value, prefix: false } });
  }
  const level = params.get('level');
  if (level) {
    try {
      const levels = parseLevelList(level);
      if (levels.length) clauses.push({ negate: false, term: { kind: 'level', levels } });
    } catch (err) {
      throw bad(`level: ${(err as Error).message}`);
    }
  }
  let query;
  try {
    query = parseQuery(q);
  } catch (err) {
    if (err instanceof QueryTooComplex) throw bad(`q is too complex: ${err.message}`);
    throw err;
  }
  const scope: QueryScope = { projectId, query: withClauses(query, clauses) };
  for (const key of ['from', 'to'] as const) {
    const value = params.get(key);
    if (value) scope[key === 'from' ? 'fromMs' : 'toMs'] = timeParam(key, value, now);
  }
  if (scope.fromMs !== undefined && scope.toMs !== undefined && scope.fromMs > scope.toMs) throw bad('from is later than to: swap them');
  return scope;
}

/** GET /search: the scope, a page size and where the last page ended. */
export function parseSearchParams(params: URLSearchParams, projectId: number, now = Date.now()): SearchQuery {
  const q: SearchQuery = { ...parseScope(params, projectId, SEARCH_PARAMS, now), limit: intParam(params, 'limit', 1, MAX_LIMIT) ?? DEFAULT_LIMIT };
  const cursor = params.get('cursor');
  if (cursor) {
    const after = decodeCursor(cursor);
    if (!after) throw bad('cursor is not one this server gave out: pass next_cursor from the previous page unchanged');
    q.after = after;
  }
  return q;
}

/** GET /search/histogram: the scope and the bucket width for about `buckets` buckets over from..to. */
export function parseHistogramParams(params: URLSearchParams, projectId: number, now = Date.now()): { scope: QueryScope; buckets: number } {
  return { scope: parseScope(params, projectId, HISTOGRAM_PARAMS, now), buckets: intParam(params, 'buckets', 1, MAX_BUCKETS) ?? DEFAULT_BUCKETS };
}

/** from..to of a histogram: when not given, from the first matching event to now (or the last one, if later). */
export function histogramRange(scope: QueryScope, bounds: { minMs: number; maxMs: number } | undefined, buckets: number, now = Date.now()) {
  const toMs = scope.toMs ?? (bounds ? Math.max(now, bounds.maxMs + 1) : now);
  const fromMs = scope.fromMs ?? Math.min(bounds?.minMs ?? toMs - 3_600_000, toMs - 1);
  return { fromMs, toMs, intervalMs: chooseInterval(fromMs, toMs, buckets) };
}

export function parseFieldsParams(params: URLSearchParams, projectId: number, now = Date.now()): FieldsQuery {
  return { ...parseScope(params, projectId, FIELDS_PARAMS, now), sample: FIELDS_SAMPLE, values: intParam(params, 'values', 1, MAX_FIELD_VALUES) ?? DEFAULT_FIELD_VALUES };
}

function timeParam(key: string, value: string, now: number): number {
  let ms: number;
  try {
    ms = parseTimeBound(value, now);
  } catch (err) {
    throw bad(`${key}: ${(err as Error).message}`);
  }
  if (!Number.isFinite(ms) || ms < MIN_TIME_MS || ms > MAX_TIME_MS) {
    throw bad(`${key}: "${value}" is outside the times LogFlow can hold (years -271821 to 275760)`);
  }
  return ms;
}

function intParam(params: URLSearchParams, key: string, min: number, max: number): number | undefined {
  const raw = params.get(key);
  if (raw === null) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw bad(`${key} must be a whole number from ${min} to ${max}`);
  return n;
}

function bad(message: string): LogFlowError {
  return new LogFlowError('BAD_REQUEST', message);
}
