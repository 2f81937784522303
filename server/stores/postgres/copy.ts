import { once } from 'node:events';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

// COPY in text format: a row a line, columns apart by tabs, \N for NULL, and a backslash before the
// four characters that would end a column or a row. Building these lines costs the worker less than
// the unnest INSERT's 14 array literals (escaped by the driver) and PostgreSQL less to read.

const SPECIAL = /[\\\n\r\t]/g;
const HAS_SPECIAL = /[\\\n\r\t]/;
const ESCAPED: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** One column as COPY's text format reads it. */
export function copyField(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  const s = typeof v === 'string' ? v : String(v);
  return HAS_SPECIAL.test(s) ? s.replace(SPECIAL, (c) => ESCAPED[c]!) : s;
}

/** Rows (one array of columns each) as COPY text lines. */
export function copyText(rows: Iterable<readonly unknown[]>): string {
  let text = '';
  for (const row of rows) {
    let line = '';
    for (let c = 0; c < row.length; c++) line += (c ? '\t' : '') + copyField(row[c]);
    text += line + '\n';
  }
  return text;
}

/**
 * One COPY of these lines into `table (columns)`, on a connection of the pool. COPY is one statement:
 * every row is stored or none is, and the error is PostgreSQL's own (its code says which kind).
 */
export async function copyInto(pool: pg.Pool, table: string, columns: string, text: string): Promise<void> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    const stream = client.query(copyFrom(`COPY ${table} (${columns}) FROM STDIN`));
    const finished = once(stream, 'finish');
    stream.end(text);
    await finished;
  } catch (err) {
    // PostgreSQL refusing a row leaves the connection usable; a connection that died does not.
    if (typeof (err as { code?: unknown })?.code !== 'string' || !/^[0-9A-Z]{5}$/.test((err as { code: string }).code)) broken = err as Error;
    throw err;
  } finally {
    client.release(broken);
  }
}
