import type pg from 'pg';
import type { FieldsResult, SearchPage } from '../../../shared/query/search.ts';
import { splitFieldTerm } from '../../../shared/query/terms.ts';
import { pgError } from '../../db.ts';
import { searchTimeout, type SearchBackend } from '../types.ts';
import { summarizeFields, type FieldRow } from '../fields.ts';
import { boundsSql, fieldsSql, histogramSql } from './aggregate.ts';
import { fromRow, toSql, type LogRow } from './query.ts';

export interface PostgresSearchOptions {
  /** Owned by the caller, who also ends it: close() leaves it open. Its statement_timeout is the search timeout (openPool). */
  pool: pg.Pool;
  /** That timeout, for the message when PostgreSQL stops a search at it. */
  timeoutMs?: number;
}

/** PostgreSQL stopped the statement at statement_timeout (57014 is also an operator's cancel, which says so otherwise). */
function stoppedAtTimeout(err: unknown): boolean {
  return (err as { code?: unknown })?.code === '57014' && /statement timeout/.test((err as Error).message);
}

/** Metadata names and values come back as field terms (escaped path=value): split them here. */
function fieldRow(r: { kind: FieldRow['kind']; source: FieldRow['source']; name: string | null; value: string | null; n: string }): FieldRow {
  const row: FieldRow = { kind: r.kind, source: r.source, name: r.name ?? '', value: r.value ?? '', count: Number(r.n) };
  if (r.source === 'metadata') {
    if (r.kind === 'value') ({ path: row.name, value: row.value } = splitFieldTerm(row.value));
    else row.name = splitFieldTerm(`${row.name}=`).path;
  }
  return row;
}

export function createPostgresSearch({ pool, timeoutMs = 30_000 }: PostgresSearchOptions): SearchBackend {
  const run = async <R extends pg.QueryResultRow>(statement: { text: string; values: unknown[] }, doing: string): Promise<R[]> => {
    try {
      return (await pool.query<R>(statement.text, statement.values)).rows;
    } catch (err) {
      if (stoppedAtTimeout(err)) throw searchTimeout('PostgreSQL', timeoutMs);
      throw pgError(err, doing);
    }
  };
  return {
    async search(query): Promise<SearchPage> {
      // One row more than asked tells whether another page exists, so the last page never ends with
      // a cursor that leads to an empty page.
      const rows = await run<LogRow>(toSql({ ...query, limit: query.limit + 1 }), 'searching logs');
      const hits = rows.slice(0, query.limit).map(fromRow);
      const last = hits.at(-1);
      if (rows.length <= query.limit || !last) return { hits };
      return { hits, nextCursor: { timestampMs: Date.parse(last.timestamp), eventId: last.event_id } };
    },
    async histogram(query) {
      const rows = await run<{ bucket: string; level: string; n: string }>(histogramSql(query), 'counting logs per bucket');
      return rows.map((r) => ({ startMs: Number(r.bucket) * query.intervalMs, level: r.level, count: Number(r.n) }));
    },
    async bounds(scope) {
      const [row] = await run<{ min: Date | null; max: Date | null }>(boundsSql(scope), 'finding the time range of logs');
      return row?.min && row.max ? { minMs: row.min.getTime(), maxMs: row.max.getTime() } : undefined;
    },
    async fields(query): Promise<FieldsResult> {
      const rows = await run<{ kind: FieldRow['kind']; source: FieldRow['source']; name: string | null; value: string | null; n: string }>(fieldsSql(query), 'counting field values');
      return summarizeFields(rows.map(fieldRow), query.values);
    },
    close: async () => {},
  };
}
