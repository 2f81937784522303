// The ways the postgres sink can write a batch, side by side on the same rows, in turn:
//   npx tsx bench/postgres-write.bench.ts [events=100000] [batch=500] [inFlight=1,4]
// insert: the unnest INSERT ... ON CONFLICT DO NOTHING (the sink's fallback), reached as a
// redelivered batch reaches it, after a COPY that failed on the unique key; copy: one COPY into
// logs (what the sink does first); staging: COPY into a temporary table, then INSERT ... SELECT ON
// CONFLICT DO NOTHING from it (exactly-once without a fallback). Each round writes every event into
// a fresh logs table; events/s and the worker's CPU per event (this process: encoding and driver).
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { migrateProjects } from '../server/auth/projects.ts';
import { openPool } from '../server/db.ts';
import { copyText } from '../server/stores/postgres/copy.ts';
import { LogPartitions } from '../server/stores/postgres/partitions.ts';
import { migrateLogs } from '../server/stores/postgres/schema.ts';
import { createPostgresSink, ROW_COLUMNS, toRow } from '../server/stores/postgres/sink.ts';
import { createTestDatabase } from '../test/helpers.ts';
import { enriched, recentEvents } from './pipeline/events.ts';
import type { LogEvent } from '../shared/event.ts';

const EVENTS = Number(process.argv[2] ?? 100_000);
const BATCH = Number(process.argv[3] ?? 500);
const IN_FLIGHT = (process.argv[4] ?? '1,4').split(',').map(Number);

type Way = (pool: pg.Pool, batch: LogEvent[]) => Promise<void>;

const ways: Record<'insert' | 'copy' | 'staging', Way> = {
  async insert(pool, batch) {
    // The sink's INSERT path, reached through a sink whose COPY is made to fail: the same statement.
    const results = await insertSink(pool).write(batch);
    if (results.some((r) => r.status !== 'ok')) throw new Error('insert refused events');
  },
  async copy(pool, batch) {
    const results = await copySink(pool).write(batch);
    if (results.some((r) => r.status !== 'ok')) throw new Error('copy refused events');
  },
  staging: stagingWrite,
};

const copySinks = new WeakMap<pg.Pool, ReturnType<typeof createPostgresSink>>();
function copySink(pool: pg.Pool) {
  let s = copySinks.get(pool);
  if (!s) copySinks.set(pool, (s = createPostgresSink({ pool })));
  return s;
}

const sinks = new WeakMap<pg.Pool, ReturnType<typeof createPostgresSink>>();
function insertSink(pool: pg.Pool) {
  let s = sinks.get(pool);
  if (!s) {
    // Every event twice in its batch: COPY fails on the unique key, and the sink writes with INSERT.
    const inner = createPostgresSink({ pool });
    s = { ...inner, write: async (batch: LogEvent[]) => (await inner.write([...batch, batch[0]!])).slice(0, batch.length) };
    sinks.set(pool, s);
  }
  return s;
}

async function stagingWrite(pool: pg.Pool, batch: LogEvent[]): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('CREATE TEMP TABLE IF NOT EXISTS logs_staging (LIKE logs INCLUDING DEFAULTS) ON COMMIT DELETE ROWS');
    const stream = client.query(copyFrom(`COPY logs_staging (${ROW_COLUMNS}) FROM STDIN`));
    const done = new Promise((resolve, reject) => stream.on('finish', resolve).on('error', reject));
    stream.end(copyText(batch.map(toRow)));
    await done;
    await client.query(`INSERT INTO logs (${ROW_COLUMNS}) SELECT ${ROW_COLUMNS} FROM logs_staging ON CONFLICT DO NOTHING`);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}

async function round(url: string, way: Way, events: LogEvent[], inFlight: number): Promise<{ perSecond: number; cpuUs: number }> {
  const pool = openPool(url, inFlight + 1);
  try {
    await pool.query('DROP TABLE IF EXISTS logs CASCADE');
    await migrateLogs(pool);
    await new LogPartitions(pool).ensure(events);
    const batches: LogEvent[][] = [];
    for (let i = 0; i < events.length; i += BATCH) batches.push(events.slice(i, i + BATCH));
    let next = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < batches.length) await way(pool, batches[next++]!);
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const n = Number((await pool.query('SELECT count(*) AS n FROM logs')).rows[0].n);
    if (n !== events.length) throw new Error(`stored ${n} of ${events.length}`);
    return { perSecond: events.length / seconds, cpuUs: ((cpu.user + cpu.system) / events.length) };
  } finally {
    await pool.end();
  }
}

const db = await createTestDatabase();
try {
  const setup = openPool(db.url, 1);
  await migrateProjects(setup);
  await setup.query("INSERT INTO projects (id, name, api_key_hash) VALUES (1, 'bench', 'bench-postgres-write')");
  await setup.end();
  const events = recentEvents(EVENTS, 7, 'w').map((e) => enriched(e, 1, new Date().toISOString()));
  console.log(`postgres sink writes: ${EVENTS.toLocaleString('en-US')} events, ${BATCH} a batch; two rounds of each, in turn`);
  for (const inFlight of IN_FLIGHT) {
    for (let r = 0; r < 2; r++) {
      for (const name of ['insert', 'copy', 'staging'] as const) {
        const { perSecond, cpuUs } = await round(db.url, ways[name]!, events, inFlight);
        console.log(`  ${inFlight} in flight  ${name.padEnd(8)} ${Math.round(perSecond).toLocaleString('en-US').padStart(8)} events/s  ${cpuUs.toFixed(1)} µs CPU/event here`);
      }
    }
  }
} finally {
  await db.drop();
}
