import type { FieldsAnswer, HistogramAnswer, SearchAnswer } from '../../shared/http.ts';
import { fillBuckets } from '../../shared/query/histogram.ts';
import { encodeCursor } from '../../shared/query/search.ts';
import type { SearchBackend } from '../stores/types.ts';
import { histogramRange, parseFieldsParams, parseHistogramParams, parseSearchParams } from './search-params.ts';

// The three answers over one query tree (hits, histogram, fields), whichever store serves them.

export async function searchAnswer(backend: SearchBackend, params: URLSearchParams, projectId: number): Promise<SearchAnswer> {
  const query = parseSearchParams(params, projectId);
  const page = await backend.search(query);
  return { hits: page.hits, next_cursor: page.nextCursor ? encodeCursor(page.nextCursor) : null };
}

export async function histogramAnswer(backend: SearchBackend, params: URLSearchParams, projectId: number, now = Date.now()): Promise<HistogramAnswer> {
  const { scope, buckets } = parseHistogramParams(params, projectId, now);
  const bounds = scope.fromMs === undefined || scope.toMs === undefined ? await backend.bounds(scope) : undefined;
  const { fromMs, toMs, intervalMs } = histogramRange(scope, bounds, buckets, now);
  const counted = await backend.histogram({ ...scope, fromMs, toMs, intervalMs });
  const filled = fillBuckets(fromMs, toMs, intervalMs, counted);
  const answer: HistogramAnswer = { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(), interval_ms: intervalMs, total: 0, buckets: [] };
  for (const b of filled) {
    const total = Object.values(b.counts).reduce((a, n) => a + n, 0);
    answer.total += total;
    answer.buckets.push({ start: new Date(b.startMs).toISOString(), total, counts: b.counts });
  }
  return answer;
}

export async function fieldsAnswer(backend: SearchBackend, params: URLSearchParams, projectId: number): Promise<FieldsAnswer> {
  return backend.fields(parseFieldsParams(params, projectId));
}
