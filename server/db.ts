import pg from 'pg';
import { LogFlowError } from '../shared/errors.ts';

// Error codes of node's network layer and PostgreSQL's that mean "try again later".
const TRANSIENT_NET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);
const TRANSIENT_PG_CLASSES = ['08', '53', '57', '40']; // connection, resources, operator intervention, rollback

/** `statementTimeoutMs`: PostgreSQL stops any statement of the pool that runs longer (the server's pool, whose statements are searches and key lookups). */
export function openPool(databaseUrl: string, max = 5, o: { statementTimeoutMs?: number } = {}): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max, connectionTimeoutMillis: 5000, ...(o.statementTimeoutMs ? { statement_timeout: o.statementTimeoutMs } : {}) });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  return pool;
}

/** True when the error means PostgreSQL is unreachable or busy, not that the statement is wrong. */
export function isTransientPgError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== 'string') return err instanceof Error && /Connection terminated|timeout/i.test(err.message);
  return TRANSIENT_NET.has(code) || TRANSIENT_PG_CLASSES.some((c) => code.startsWith(c));
}

/** Wraps a pg error into ours: transient when PostgreSQL is down or busy. */
export function pgError(err: unknown, doing: string): LogFlowError {
  if (err instanceof LogFlowError) return err;
  const transient = isTransientPgError(err);
  const msg = err instanceof Error ? err.message : String(err);
  return new LogFlowError(transient ? 'STORE_UNAVAILABLE' : 'STORE_REJECTED', `PostgreSQL ${doing}: ${msg}`, { transient, cause: err });
}

/** Creates the database named in the URL when it does not exist yet (connecting to "postgres"). */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres';
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      try {
        await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      } catch (err) {
        // Two processes migrating at once: the other one won.
        if ((err as { code?: string }).code !== '42P04' && (err as { code?: string }).code !== '23505') throw err;
      }
    }
  } finally {
    await client.end();
  }
}
