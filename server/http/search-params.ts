import { parseTimeBound } from '../../shared/duration.ts';
import { LogFlowError } from '../../shared/errors.ts';
import { parseLevelList } from '../../shared/levels.ts';
import { decodeCursor, DEFAULT_LIMIT, MAX_LIMIT, type SearchQuery } from '../../shared/query.ts';

const PARAMS = new Set(['service', 'level', 'q', 'from', 'to', 'limit', 'cursor']);

/** GET /search parameters to a query scoped to the caller's project; a bad one is a 400 naming it. */
export function parseSearchParams(params: URLSearchParams, projectId: number, now = Date.now()): SearchQuery {
  for (const key of params.keys()) {
    if (!PARAMS.has(key)) throw bad(`unknown parameter "${key}": use ${[...PARAMS].join(', ')}`);
  }
  const q: SearchQuery = { projectId, limit: DEFAULT_LIMIT };
  const service = params.get('service')?.trim();
  if (service) q.service = service;
  const level = params.get('level');
  if (level) {
    try {
      q.levels = parseLevelList(level);
    } catch (err) {
      throw bad(`level: ${(err as Error).message}`);
    }
  }
  const text = params.get('q')?.trim();
  if (text) q.text = text;
  for (const key of ['from', 'to'] as const) {
    const value = params.get(key);
    if (!value) continue;
    try {
      q[key === 'from' ? 'fromMs' : 'toMs'] = parseTimeBound(value, now);
    } catch (err) {
      throw bad(`${key}: ${(err as Error).message}`);
    }
  }
  if (q.fromMs !== undefined && q.toMs !== undefined && q.fromMs > q.toMs) throw bad('from is later than to');
  const limit = params.get('limit');
  if (limit !== null) {
    const n = Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) throw bad(`limit must be a whole number from 1 to ${MAX_LIMIT}`);
    q.limit = n;
  }
  const cursor = params.get('cursor');
  if (cursor) {
    const after = decodeCursor(cursor);
    if (!after) throw bad('cursor is not one this server gave out: pass next_cursor from the previous page unchanged');
    q.after = after;
  }
  return q;
}

function bad(message: string): LogFlowError {
  return new LogFlowError('BAD_REQUEST', message);
}
