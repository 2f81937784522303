import type { LogEvent } from '../../../shared/event.ts';
import type { Level } from '../../../shared/levels.ts';
import type { SearchQuery } from '../../../shared/query.ts';

export interface SqlStatement {
  text: string;
  values: unknown[];
}

/** A row of the logs table as pg returns it: bigint as string, timestamptz as Date, jsonb parsed. */
export interface LogRow {
  project_id: string | number;
  event_id: string;
  ts: Date;
  ingest_ts: Date;
  service: string;
  level: string;
  message: string;
  trace_id: string | null;
  request_id: string | null;
  host: string | null;
  env: string | null;
  metadata: Record<string, unknown> | null;
}

export const LOG_COLUMNS = 'project_id, event_id, ts, ingest_ts, service, level, message, trace_id, request_id, host, env, metadata';

/**
 * A timestamptz literal PostgreSQL reads back to the same millisecond. toISOString() is not one
 * outside years 1-9999: PostgreSQL rejects ISO 8601's expanded years (+010000-…, -000001-…, 0000-…)
 * and wants "10000-…" or "… BC" instead (ISO year 0 is 1 BC).
 */
export function pgTimestamp(ms: number): string {
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  const rest = d.toISOString().replace(/^[+-]?\d+/, '');
  return year >= 1 ? `${String(year).padStart(4, '0')}${rest}` : `${String(1 - year).padStart(4, '0')}${rest} BC`;
}

/**
 * The SELECT for one page of a search. Every value is a bound parameter. The WHERE clauses mirror the
 * indexes: (project_id, ts, event_id) for time order and the cursor, the GIN index on
 * to_tsvector('simple', message) for text (the expression must stay identical to the index's).
 */
export function toSql(q: SearchQuery): SqlStatement {
  const values: unknown[] = [q.projectId];
  const where = ['project_id = $1'];
  const bind = (v: unknown): string => {
    values.push(v);
    return `$${values.length}`;
  };
  if (q.service !== undefined) where.push(`service = ${bind(q.service)}`);
  if (q.levels !== undefined && q.levels.length > 0) where.push(`level = ANY(${bind(q.levels)}::text[])`);
  if (q.text !== undefined && q.text.trim() !== '') {
    // plainto_tsquery, not websearch_to_tsquery: both accept any input without error, but websearch
    // reads "or", "-word" and quotes as operators, so "timeout or refused" would match either word.
    // plainto ANDs every word, which is what SearchQuery promises.
    where.push(`to_tsvector('simple', message) @@ plainto_tsquery('simple', ${bind(q.text)})`);
  }
  if (q.fromMs !== undefined) where.push(`ts >= ${bind(pgTimestamp(q.fromMs))}::timestamptz`);
  if (q.toMs !== undefined) where.push(`ts < ${bind(pgTimestamp(q.toMs))}::timestamptz`);
  if (q.after !== undefined) {
    // A row comparison, so ties on ts continue by event_id; the btree index serves it directly.
    where.push(`(ts, event_id) < (${bind(pgTimestamp(q.after.timestampMs))}::timestamptz, ${bind(q.after.eventId)})`);
  }
  const text = `SELECT ${LOG_COLUMNS} FROM logs WHERE ${where.join(' AND ')} ORDER BY ts DESC, event_id DESC LIMIT ${bind(q.limit)}`;
  return { text, values };
}

/** A stored row as a LogEvent: ISO times with milliseconds, optional fields only when set. */
export function fromRow(row: LogRow): LogEvent {
  const event: LogEvent = {
    event_id: row.event_id,
    project_id: Number(row.project_id),
    timestamp: row.ts.toISOString(),
    ingest_ts: row.ingest_ts.toISOString(),
    service: row.service,
    level: row.level as Level,
    message: row.message,
  };
  if (row.trace_id !== null) event.trace_id = row.trace_id;
  if (row.request_id !== null) event.request_id = row.request_id;
  if (row.host !== null) event.host = row.host;
  if (row.env !== null) event.env = row.env;
  if (row.metadata !== null) event.metadata = row.metadata;
  return event;
}
