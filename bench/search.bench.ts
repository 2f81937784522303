// Search latency for the common query shapes, on both stores, over a generated data set written
// through the real sinks: `npx tsx bench/search.bench.ts [--events N] [--keep NAMESPACE]`.
// --stores postgres|opensearch measures one; --keep leaves the data for EXPLAIN. It prints p50/p95 per shape beside the 200 ms p95 target. Issue 11's pipeline bench builds the
// 10-million-event set; this one is the quick check of the query design at whatever N you give it.
import { createHash } from 'node:crypto';
import type { LogEvent } from '../shared/event.ts';
import { parseQuery } from '../shared/query/parse.ts';
import { openPool } from '../server/db.ts';
import { createOpenSearchSearch } from '../server/stores/opensearch/search.ts';
import { createOpenSearchSink } from '../server/stores/opensearch/sink.ts';
import { createPostgresSearch } from '../server/stores/postgres/search.ts';
import { createPostgresSink } from '../server/stores/postgres/sink.ts';
import type { SearchBackend, Sink } from '../server/stores/types.ts';
import { createTestDatabase, dropOpenSearchNamespace, OPENSEARCH_URL, uniqueName } from '../test/helpers.ts';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const N = Number(arg('events', '1000000'));
const RUNS = Number(arg('runs', '40'));
const TARGET_P95_MS = 200;
const NOW = Date.now();
const SPAN = 7 * 86_400_000;
const WORDS = ['request', 'handled', 'order', 'cart', 'session', 'token', 'refresh', 'cache', 'miss', 'hit', 'upstream', 'retry', 'queue', 'worker', 'invoice', 'shipment', 'profile', 'search', 'index', 'login'];
const LEVELS = ['INFO', 'INFO', 'INFO', 'INFO', 'INFO', 'INFO', 'DEBUG', 'DEBUG', 'WARN', 'ERROR'] as const;
const traces: string[] = [];

function event(i: number): LogEvent {
  const level = LEVELS[i % LEVELS.length]!;
  const trace = createHash('md5').update(String(i)).digest('hex');
  if (i % 1000 === 0) traces.push(trace);
  const words = Array.from({ length: 6 }, (_, k) => WORDS[(i * 7 + k * 13 + (i >> 4)) % WORDS.length]).join(' ');
  const payment = i % 50 === 0;
  return {
    event_id: `b${i}`,
    project_id: 1,
    timestamp: new Date(NOW - SPAN + Math.floor((i / N) * SPAN)).toISOString(),
    ingest_ts: new Date().toISOString(),
    service: ['api', 'billing', 'checkout', 'worker', 'auth'][i % 5]!,
    level,
    message: payment ? `payment failed for order ${i}` : `${words} ${i % 997}`,
    trace_id: trace,
    request_id: `req-${i}`,
    host: `web-${i % 20}`,
    metadata: { user_id: i % 50_000, http: { method: 'GET', status: level === 'ERROR' ? 500 : 200, path: `/api/v1/orders/${i % 5000}` }, ...(level === 'ERROR' ? { err: { type: 'Error', message: 'card declined', stack: 'Error: card declined\n    at charge (pay.js:10:5)' } } : {}) },
  };
}

async function load(sink: Sink): Promise<number> {
  const started = Date.now();
  const batch = 5000;
  const inFlight: Promise<unknown>[] = [];
  for (let i = 0; i < N; i += batch) {
    const events = Array.from({ length: Math.min(batch, N - i) }, (_, k) => event(i + k));
    inFlight.push(sink.write(events));
    if (inFlight.length >= 2) await inFlight.shift();
  }
  await Promise.all(inFlight);
  return Date.now() - started;
}

const shapes: { name: string; query: (k: number) => { q: string; fromMs?: number; toMs?: number } }[] = [
  { name: 'level + time range (24h)', query: (k) => ({ q: 'level:ERROR', fromMs: NOW - (k % 6 + 1) * 86_400_000, toMs: NOW - (k % 6) * 86_400_000 }) },
  { name: 'one word', query: (k) => ({ q: WORDS[k % WORDS.length]! }) },
  { name: 'a phrase', query: (k) => ({ q: k % 2 ? '"payment failed"' : `"${WORDS[k % WORDS.length]} ${WORDS[(k + 1) % WORDS.length]}"` }) },
  { name: 'a field value', query: (k) => ({ q: `user_id:${(k * 7919) % 50_000}` }) },
  { name: 'a trace id', query: (k) => ({ q: `trace_id:${traces[(k * 31) % traces.length]}` }) },
  { name: 'a rare word, 7 days', query: (k) => ({ q: `"order ${(k * 50 * 13) % N}"` }) },
];

function percentiles(times: number[]): { p50: number; p95: number } {
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(times.length * 0.5)]!, p95: times[Math.ceil(times.length * 0.95) - 1]! };
}

async function measure(backend: SearchBackend): Promise<{ name: string; p50: number; p95: number; hits: number }[]> {
  const out = [];
  for (const shape of shapes) {
    const times: number[] = [];
    let hits = 0;
    for (let k = 0; k < RUNS; k++) {
      const { q, fromMs, toMs } = shape.query(k);
      const t = performance.now();
      const page = await backend.search({ projectId: 1, query: parseQuery(q), fromMs, toMs, limit: 100 });
      times.push(performance.now() - t);
      hits += page.hits.length;
    }
    out.push({ name: shape.name, ...percentiles(times), hits: Math.round(hits / RUNS) });
  }
  // The page's other two answers: the histogram of a week, and the fields of the newest 10,000.
  for (const [name, run] of [
    ['histogram, 7 days', (k: number) => backend.histogram({ projectId: 1, query: parseQuery(k % 2 ? '' : 'level:ERROR'), fromMs: NOW - SPAN, toMs: NOW, intervalMs: 3 * 3_600_000 })],
    ['fields, newest 10,000', (k: number) => backend.fields({ projectId: 1, query: parseQuery(k % 2 ? '' : 'level:ERROR'), sample: 10_000, values: 10 })],
  ] as const) {
    const times: number[] = [];
    for (let k = 0; k < Math.min(RUNS, 10); k++) {
      const t = performance.now();
      await run(k);
      times.push(performance.now() - t);
    }
    out.push({ name, ...percentiles(times), hits: 0 });
  }
  return out;
}

async function main(): Promise<void> {
  const db = await createTestDatabase();
  const pool = openPool(db.url);
  const namespace = uniqueName('lfbench');
  try {
    await pool.query('CREATE TABLE projects (id bigserial primary key, name text not null unique, api_key_hash text not null unique, is_active boolean not null default true, created_at timestamptz not null default now()); INSERT INTO projects (id, name, api_key_hash) VALUES (1, \'bench\', \'h\')');
    const only = arg('stores', 'postgres,opensearch').split(',');
    const stores = [
      { name: 'postgres', sink: createPostgresSink({ pool }), search: createPostgresSearch({ pool }) },
      { name: 'opensearch', sink: createOpenSearchSink({ url: OPENSEARCH_URL, namespace }), search: createOpenSearchSearch({ url: OPENSEARCH_URL, namespace }) },
    ].filter((s) => only.includes(s.name));
    for (const s of stores) {
      await s.sink.prepare();
      traces.length = 0;
      const ms = await load(s.sink);
      console.log(`${s.name}: wrote ${N} events in ${(ms / 1000).toFixed(1)} s (${Math.round(N / (ms / 1000))} events/s)`);
    }
    await pool.query('VACUUM ANALYZE logs');
    await fetch(`${OPENSEARCH_URL}/${namespace}-logs-*/_refresh`, { method: 'POST' });
    await fetch(`${OPENSEARCH_URL}/${namespace}-logs-*/_forcemerge?max_num_segments=5`, { method: 'POST' });
    console.log(`\nsearch latency over ${N} events, ${RUNS} queries per shape, newest 100 hits (target p95 <= ${TARGET_P95_MS} ms)`);
    for (const s of stores) {
      for (const r of await measure(s.search)) {
        console.log(`${s.name.padEnd(10)} ${r.name.padEnd(26)} p50 ${r.p50.toFixed(1).padStart(7)} ms  p95 ${r.p95.toFixed(1).padStart(7)} ms  ${r.p95 <= TARGET_P95_MS ? 'ok' : 'OVER'}  (${r.hits} hits)`);
      }
      await s.sink.close();
      await s.search.close();
    }
  } finally {
    await pool.end();
    if (process.argv.includes('--keep')) console.log(`kept: database ${db.name}, OpenSearch namespace ${namespace}`);
    else {
      await db.drop();
      await dropOpenSearchNamespace(namespace);
    }
  }
}

await main();
