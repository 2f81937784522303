import type pg from 'pg';
import type { SearchPage } from '../../../shared/query.ts';
import { pgError } from '../../db.ts';
import type { SearchBackend } from '../types.ts';
import { fromRow, toSql, type LogRow } from './query.ts';

export interface PostgresSearchOptions {
  /** Owned by the caller, who also ends it: close() leaves it open. */
  pool: pg.Pool;
}

export function createPostgresSearch({ pool }: PostgresSearchOptions): SearchBackend {
  return {
    async search(query): Promise<SearchPage> {
      // One row more than asked tells whether another page exists, so the last page never ends with
      // a cursor that leads to an empty page.
      const { text, values } = toSql({ ...query, limit: query.limit + 1 });
      let rows: LogRow[];
      try {
        ({ rows } = await pool.query<LogRow>(text, values));
      } catch (err) {
        throw pgError(err, 'searching logs');
      }
      const hits = rows.slice(0, query.limit).map(fromRow);
      const last = hits.at(-1);
      if (rows.length <= query.limit || !last) return { hits };
      return { hits, nextCursor: { timestampMs: Date.parse(last.timestamp), eventId: last.event_id } };
    },
    close: async () => {},
  };
}
