import { FACET_COLUMNS, type FieldsQuery, type HistogramQuery, type QueryScope } from '../../../shared/query/search.ts';
import { Params, type SqlStatement, toWhere } from './query.ts';
import { FIELD_MARK } from './search-terms.ts';

/** Counts per bucket (ts in whole intervals since the epoch) and level; only buckets with events. */
export function histogramSql(q: HistogramQuery): SqlStatement {
  const p = new Params();
  const where = toWhere(q, p);
  // extract(epoch) is numeric (exact) since PostgreSQL 14, so no millisecond drifts into the next bucket.
  const bucket = `floor(extract(epoch FROM ts) * 1000 / ${p.bind(q.intervalMs)}::bigint)::bigint`;
  return { text: `SELECT ${bucket} AS bucket, level, count(*) AS n FROM logs WHERE ${where} GROUP BY 1, 2`, values: p.values };
}

export function boundsSql(q: QueryScope): SqlStatement {
  const p = new Params();
  return { text: `SELECT min(ts) AS min, max(ts) AS max FROM logs WHERE ${toWhere(q, p)}`, values: p.values };
}

/**
 * Over the newest `sample` matching events: how many there are, then per field how many have it and
 * its most frequent values. Metadata comes from the field terms in `search` (those lexemes start with
 * FIELD_MARK), as the escaped path and the whole term; the caller splits them (splitFieldTerm).
 */
export function fieldsSql(q: FieldsQuery): SqlStatement {
  const p = new Params();
  const where = toWhere(q, p);
  const sample = p.bind(q.sample);
  const mark = p.bind(FIELD_MARK);
  // The escaped path: everything up to the first "=" that is not escaped.
  const pathRe = p.bind('^((?:[^\\\\=]|\\\\.)*)=');
  const top = p.bind(q.values);
  const columns = FACET_COLUMNS.map((c) => `('${c}', s.${c})`).join(', ');
  const text = `WITH s AS MATERIALIZED (
  SELECT row_number() OVER () AS rn, ${FACET_COLUMNS.join(', ')}, search FROM logs WHERE ${where} ORDER BY ts DESC, event_id DESC LIMIT ${sample}
), c AS (
  SELECT s.rn, x.name, x.value FROM s CROSS JOIN LATERAL (VALUES ${columns}) AS x(name, value) WHERE x.value IS NOT NULL
), t AS (
  SELECT s.rn, substr(u.lexeme, 2) AS term, (regexp_match(substr(u.lexeme, 2), ${pathRe}))[1] AS path
  FROM s, unnest(s.search) AS u WHERE left(u.lexeme, 1) = ${mark}
), cv AS (
  SELECT name, value, count(*) AS n, row_number() OVER (PARTITION BY name ORDER BY count(*) DESC, value COLLATE "C") AS k FROM c GROUP BY name, value
), tv AS (
  SELECT path, term, count(*) AS n, row_number() OVER (PARTITION BY path ORDER BY count(*) DESC, term COLLATE "C") AS k FROM t GROUP BY path, term
)
SELECT 'sampled' AS kind, 'column' AS source, NULL AS name, NULL AS value, (SELECT count(*) FROM s) AS n
UNION ALL SELECT 'name', 'column', name, NULL, count(*) FROM c GROUP BY name
UNION ALL SELECT 'name', 'metadata', path, NULL, count(DISTINCT rn) FROM t GROUP BY path
UNION ALL SELECT 'value', 'column', name, value, n FROM cv WHERE k <= ${top}
UNION ALL SELECT 'value', 'metadata', path, term, n FROM tv WHERE k <= ${top}`;
  return { text, values: p.values };
}
