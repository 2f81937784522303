import { FACET_COLUMNS, type Cursor, type FieldsQuery, type HistogramQuery, type QueryScope } from '../../../shared/query/search.ts';
import { escapePath, splitFieldTerm } from '../../../shared/query/terms.ts';
import { KNOWN_FIELDS } from '../../../shared/query/tree.ts';
import type { FieldRow } from '../fields.ts';
import { toFilters } from './query.ts';

type Dsl = Record<string, unknown>;
/** Every value's count in one answer, whichever daily index holds it: exact counts, not estimates. */
const SHARD_SIZE = 10_000;
const ORDER = [{ _count: 'desc' }, { _key: 'asc' }];

/** Counts per bucket (fixed interval from the epoch, UTC) and level. */
export function histogramBody(q: HistogramQuery): Dsl {
  return {
    size: 0,
    track_total_hits: false,
    query: { bool: { filter: toFilters(q) } },
    aggs: {
      buckets: {
        date_histogram: { field: 'timestamp', fixed_interval: `${q.intervalMs}ms`, min_doc_count: 1 },
        aggs: { levels: { terms: { field: 'level', size: 10 } } },
      },
    },
  };
}

interface Bucket<K> {
  key: K;
  doc_count: number;
}

export function histogramRows(aggs: unknown): { startMs: number; level: string; count: number }[] {
  const buckets = (aggs as { buckets?: { buckets?: (Bucket<number> & { levels?: { buckets?: Bucket<string>[] } })[] } })?.buckets?.buckets ?? [];
  return buckets.flatMap((b) => (b.levels?.buckets ?? []).map((l) => ({ startMs: b.key, level: l.key, count: l.doc_count })));
}

export function boundsBody(q: QueryScope): Dsl {
  return { size: 0, track_total_hits: false, query: { bool: { filter: toFilters(q) } }, aggs: { min: { min: { field: 'timestamp' } }, max: { max: { field: 'timestamp' } } } };
}

/** Finds the oldest event of the sample: the last of the newest `sample` hits, by the search order. */
export function sampleEdgeBody(q: FieldsQuery): Dsl {
  return {
    query: { bool: { filter: toFilters(q) } },
    sort: [{ timestamp: 'desc' }, { event_id: 'desc' }],
    from: q.sample - 1,
    size: 1,
    _source: false,
    track_total_hits: q.sample,
  };
}

/** The filters of the sample: the query, and not older than its oldest event (ties by event_id, as search pages). */
export function sampleFilters(q: FieldsQuery, edge: Cursor | undefined): Dsl[] {
  const filters = toFilters(q);
  if (edge) {
    const at = { format: 'epoch_millis', gte: edge.timestampMs, lte: edge.timestampMs };
    filters.push({
      bool: {
        should: [{ range: { timestamp: { format: 'epoch_millis', gt: edge.timestampMs } } }, { bool: { filter: [{ range: { timestamp: at } }, { range: { event_id: { gte: edge.eventId } } }] } }],
        minimum_should_match: 1,
      },
    });
  }
  return filters;
}

/** Field names (metadata paths) with their event counts, and the event fields' names and values. */
export function namesBody(filters: Dsl[], q: FieldsQuery): Dsl {
  const aggs: Dsl = {
    names: { terms: { field: 'field_names', size: 200, shard_size: SHARD_SIZE, order: ORDER, exclude: KNOWN_FIELDS.filter((f) => f !== 'span_id') } },
  };
  for (const c of FACET_COLUMNS) {
    aggs[`has_${c}`] = { filter: { exists: { field: c } } };
    aggs[`top_${c}`] = { terms: { field: c, size: q.values, shard_size: SHARD_SIZE, order: ORDER } };
  }
  return { size: 0, track_total_hits: false, query: { bool: { filter: filters } }, aggs };
}

/** The most frequent values of each metadata path: its field terms, picked out by their escaped path. */
export function valuesBody(filters: Dsl[], q: FieldsQuery, paths: string[]): Dsl {
  const aggs: Dsl = {};
  paths.forEach((path, i) => {
    aggs[`v${i}`] = { terms: { field: 'fields', include: `${regexLiteral(escapePath(path))}=.*`, size: q.values, shard_size: SHARD_SIZE, order: ORDER } };
  });
  return { size: 0, track_total_hits: false, query: { bool: { filter: filters } }, aggs };
}

/** Lucene's regular expressions give many characters a meaning (@, &, <, #, ...): escape all but letters and digits. */
function regexLiteral(text: string): string {
  return text.replace(/[^\p{L}\p{N}]/gu, (c) => `\\${c}`);
}

type TermsAgg = { buckets?: Bucket<string>[] };

export function namesRows(aggs: Record<string, unknown>, sampled: number): FieldRow[] {
  const rows: FieldRow[] = [{ kind: 'sampled', source: 'column', name: '', value: '', count: sampled }];
  for (const c of FACET_COLUMNS) {
    rows.push({ kind: 'name', source: 'column', name: c, value: '', count: (aggs[`has_${c}`] as { doc_count?: number })?.doc_count ?? 0 });
    for (const b of (aggs[`top_${c}`] as TermsAgg)?.buckets ?? []) rows.push({ kind: 'value', source: 'column', name: c, value: String(b.key), count: b.doc_count });
  }
  for (const b of (aggs.names as TermsAgg)?.buckets ?? []) rows.push({ kind: 'name', source: 'metadata', name: String(b.key), value: '', count: b.doc_count });
  return rows;
}

export function valuesRows(aggs: Record<string, unknown>, paths: string[]): FieldRow[] {
  return paths.flatMap((path, i) => ((aggs[`v${i}`] as TermsAgg)?.buckets ?? []).map((b) => ({ kind: 'value' as const, source: 'metadata' as const, name: path, value: splitFieldTerm(String(b.key)).value, count: b.doc_count })));
}
