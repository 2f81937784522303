import type { Redis } from 'ioredis';
import type pg from 'pg';
import { eventually } from './helpers.ts';

// Counting, for numbered lines (each message ends in `line <n>`), what a project holds in PostgreSQL:
// "exactly once" is as many rows as lines, as many distinct messages, and the numbers exactly 0..N-1.

export interface Tally {
  rows: number;
  messages: number;
  numbers: number;
  min: number;
  max: number;
  /** Up to 10 numbers of 0..n-1 that did not arrive. */
  missing: number[];
  /** Up to 5 numbered messages stored more than once. */
  duplicated: string[];
}

const NUMBER_OF = `substring(message from ' line ([0-9]+)$')::int`;

/** What a project holds of lines 0..n-1 (plus any other rows, counted in rows and messages). */
export async function tally(db: pg.Client, projectId: number, n: number): Promise<Tally> {
  const { rows } = await db.query<{ rows: number; messages: number; numbers: number; min: number | null; max: number | null }>(
    `SELECT count(*)::int AS rows, count(DISTINCT message)::int AS messages, count(DISTINCT n)::int AS numbers, min(n) AS min, max(n) AS max
       FROM (SELECT message, ${NUMBER_OF} AS n FROM logs WHERE project_id = $1) t`,
    [projectId],
  );
  const r = rows[0]!;
  const t: Tally = { rows: r.rows, messages: r.messages, numbers: r.numbers, min: r.min ?? -1, max: r.max ?? -1, missing: [], duplicated: [] };
  if (t.numbers !== n || t.min !== 0 || t.max !== n - 1) {
    const missing = await db.query<{ g: number }>(
      `SELECT g FROM generate_series(0, $2::int - 1) g EXCEPT SELECT ${NUMBER_OF} FROM logs WHERE project_id = $1 ORDER BY 1 LIMIT 10`,
      [projectId, n],
    );
    t.missing = missing.rows.map((m) => m.g);
  }
  if (t.rows !== t.messages) {
    const dup = await db.query<{ message: string }>(`SELECT message FROM logs WHERE project_id = $1 AND message ~ ' line [0-9]+$' GROUP BY message HAVING count(*) > 1 LIMIT 5`, [projectId]);
    t.duplicated = dup.rows.map((d) => d.message);
  }
  return t;
}

/** The tally of lines 0..n-1 each stored once, beside `others` rows that are not numbered lines. */
export const exactly = (n: number, others = 0): Tally => ({ rows: n + others, messages: n + others, numbers: n, min: 0, max: n - 1, missing: [], duplicated: [] });

/** Waits until the project holds at least `rows` rows (or the time is up) and returns the tally either way. */
export async function waitForRows(db: pg.Client, projectId: number, n: number, rows: number, timeoutMs: number): Promise<Tally> {
  const deadline = Date.now() + timeoutMs;
  // Polled with a plain count: the tally's pattern match over every row is too dear to run twice a second.
  const count = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM logs WHERE project_id = $1', [projectId])).rows[0]!.n;
  while ((await count()) < rows && Date.now() <= deadline) await new Promise((r) => setTimeout(r, 500));
  return tally(db, projectId, n);
}

/** Resolves once the worker's PostgreSQL group has written everything in the stream: the table is final. */
export async function workerCaughtUp(redis: Redis, namespace: string): Promise<void> {
  await eventually(async () => {
    const groups = (await redis.call('XINFO', 'GROUPS', `${namespace}:events`)) as unknown[][];
    for (const g of groups) {
      const info = new Map<string, unknown>();
      for (let i = 0; i < g.length; i += 2) info.set(String(g[i]), g[i + 1]);
      if (info.get('name') === 'postgres') return Number(info.get('pending')) === 0 && Number(info.get('lag')) === 0 ? true : undefined;
    }
    return undefined;
  }, 60_000, 'the worker to write every queued event');
}
