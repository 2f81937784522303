import type pg from 'pg';
import type { LogEvent } from '../../../shared/event.ts';
import { pgError } from '../../db.ts';
import type { Sink, WriteResult } from '../types.ts';
import { copyInto, copyText } from './copy.ts';
import { LOG_COLUMNS, pgTimestamp } from './query.ts';
import { LogPartitions, isMissingPartition } from './partitions.ts';
import { migrateLogs } from './schema.ts';
import { SEARCH_COLUMNS, searchColumns } from './search-terms.ts';

// unnest of one array per column rather than a multi-row VALUES list. Measured on this machine they
// insert equally fast (15-25k events/s at 100-5000 per batch; index upkeep dominates), so the choice
// rests on the rest: the statement text is constant whatever the batch size, and there is no
// 65535-parameter ceiling (VALUES with 12 columns stops at 5461 rows).
// search and nums (what search reads, from search-terms.ts) are cast per row: a tsvector from its
// literal, a text[] from its literal (unnest would flatten an array of arrays).
/** The columns a row of toRow() fills, in its order. */
export const ROW_COLUMNS = `${LOG_COLUMNS}, ${SEARCH_COLUMNS.join(', ')}`;

const INSERT = `INSERT INTO logs (${ROW_COLUMNS})
SELECT c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13::tsvector, c14::text[]
FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::text[], $6::text[],
  $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::jsonb[], $13::text[], $14::text[])
  AS u(c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14)
ON CONFLICT DO NOTHING`;

// Parameter number → column, to name the field in a reject reason.
const COLUMN_OF_PARAM = ['', ...LOG_COLUMNS.split(', '), ...SEARCH_COLUMNS];

const OK: WriteResult = { status: 'ok' };

export interface PostgresSinkOptions {
  /** Owned by the caller, who also ends it: close() leaves it open. */
  pool: pg.Pool;
}

export function createPostgresSink({ pool }: PostgresSinkOptions): Sink {
  const partitions = new LogPartitions(pool);
  return {
    name: 'postgres',
    prepare: async () => {
      await migrateLogs(pool);
      partitions.forget();
    },
    // The partitions the events need are made first (partitions.ts): routing a row to one that is not
    // there fails the whole statement.
    write: async (events) => {
      if (events.length === 0) return [];
      await partitions.ensure(events);
      return copyOrInsert(pool, events, partitions);
    },
    // The table itself, not only the server: a dropped table is a store that cannot take events.
    check: async () => {
      await pool.query('SELECT 1 FROM logs LIMIT 0').catch((err) => {
        throw pgError(err, 'checking the logs table');
      });
    },
    close: async () => {},
  };
}

/**
 * A batch of new events (nearly every batch) goes in one COPY, the fastest way into PostgreSQL for
 * the worker and for the server. COPY has no ON CONFLICT: when some event is there already (a
 * redelivered batch, an event a client sent twice) or PostgreSQL refuses one, nothing of the COPY is
 * stored and the batch is written by the INSERT below instead, which skips what is there and finds
 * the refused events. A COPY into a staging table then an INSERT from it would keep exactly-once
 * without that second try, but writes every row twice: measured slower here (README, Benchmarks).
 */
async function copyOrInsert(pool: pg.Pool, events: LogEvent[], partitions: LogPartitions): Promise<WriteResult[]> {
  try {
    await copyInto(pool, 'logs', ROW_COLUMNS, copyText(events.map(toRow)));
    return events.map(() => OK);
  } catch (err) {
    if (isMissingPartition(err)) throw partitions.missing(err);
    if (!isEventError(err)) throw pgError(err, 'writing logs');
    return writeOrIsolate(pool, events, partitions);
  }
}

/**
 * Writes the batch in one statement. When PostgreSQL refuses it because of what is in some event,
 * halves the batch and tries each half, so k bad events among n cost about 2k·log2(n) statements
 * instead of n one-by-one inserts, and only the bad ones come back as rejects. Rows of halves that
 * succeeded are committed; that is safe because a retried batch lands once (ON CONFLICT DO NOTHING).
 */
async function writeOrIsolate(pool: pg.Pool, events: LogEvent[], partitions: LogPartitions): Promise<WriteResult[]> {
  try {
    await pool.query(INSERT, toColumns(events));
    return events.map(() => OK);
  } catch (err) {
    // 23514 like a CHECK constraint, but about the partitions, not the event: written again once made.
    if (isMissingPartition(err)) throw partitions.missing(err);
    if (!isEventError(err)) throw pgError(err, 'writing logs');
    if (events.length === 1) return [{ status: 'reject', reason: rejectReason(err) }];
    const mid = Math.ceil(events.length / 2);
    const first = await writeOrIsolate(pool, events.slice(0, mid), partitions);
    const second = await writeOrIsolate(pool, events.slice(mid), partitions);
    return [...first, ...second];
  }
}

/**
 * True when the error is about the data of an event: data exceptions (22: a NUL byte, a bad unicode
 * escape in jsonb, a time out of range), integrity (23: an unknown project) and program limits (54:
 * a message whose tsvector is too large). Anything else (a missing table, permissions, a dead
 * connection) is about the store, and rejecting every event for it would empty the batch into the
 * dead-letter stream; it is thrown instead, transient or not as pgError decides.
 */
function isEventError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && /^(22|23|54)/.test(code);
}

function rejectReason(err: unknown): string {
  // PostgreSQL names the parameter in `where` for input errors and the key in `detail` for
  // constraint errors (e.g. which project_id does not exist); both help the reader of a dead letter.
  const { message, where, detail } = err as pg.DatabaseError;
  const param = /parameter \$(\d+)/.exec(where ?? '');
  const column = param ? COLUMN_OF_PARAM[Number(param[1])] : undefined;
  return `PostgreSQL refused the event${column ? ` (${column})` : ''}: ${message}${detail ? `. ${detail}` : ''}`;
}

/**
 * One event as the row this store writes, in ROW_COLUMNS order; undefined optional fields become NULL.
 * Exported so bench/ loads its data set (COPY) with exactly the rows the sink would write.
 */
export function toRow(e: LogEvent): unknown[] {
  return [
    e.project_id,
    e.event_id,
    toPgTime(e.timestamp),
    toPgTime(e.ingest_ts),
    e.service,
    e.level,
    e.message,
    e.trace_id ?? null,
    e.request_id ?? null,
    e.host ?? null,
    e.env ?? null,
    e.metadata === undefined ? null : JSON.stringify(e.metadata),
    ...searchColumns(e),
  ];
}

/** One array per column, in ROW_COLUMNS order. */
function toColumns(events: LogEvent[]): unknown[][] {
  const columns: unknown[][] = Array.from({ length: 14 }, () => new Array<unknown>(events.length));
  events.forEach((e, i) => toRow(e).forEach((v, c) => (columns[c]![i] = v)));
  return columns;
}

/** An unparseable time is passed as it is, so PostgreSQL rejects that one event with its reason. */
function toPgTime(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? pgTimestamp(ms) : iso;
}
