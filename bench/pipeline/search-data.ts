// The search data set: millions of generated events written straight into PostgreSQL (COPY) and
// OpenSearch (`_bulk`) with the stores' own row and document functions, in a database and namespace
// of their own that are kept between runs. Each store records what made it (generator version, size,
// time span, and a fingerprint of the schema or mapping and of the row or document functions); a
// store whose record does not match what this checkout would make is loaded again.
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { LogEvent } from '../../shared/event.ts';
import { hashKey, migrateProjects } from '../../server/auth/projects.ts';
import { documentId, indexFor, indexPattern, indexTemplate, templateName, toDocument } from '../../server/stores/opensearch/mapping.ts';
import { LogPartitions } from '../../server/stores/postgres/partitions.ts';
import { migrateLogs } from '../../server/stores/postgres/schema.ts';
import { toRow } from '../../server/stores/postgres/sink.ts';
import { copyRows, csvLine, putTemplate, sendBulk } from './ceilings.ts';
import { buildIndexes, dropIndexes, repairIndexes } from './search-indexes.ts';
import { EventGenerator, GENERATOR_VERSION, QUERY_WORDS } from './events.ts';
import { adminQuery, dropDatabase, dropOpenSearchNamespace, OPENSEARCH_URL, pgClient, pgPool, uniqueName } from './stack.ts';

/** Where a data set of `events` events is kept: one per size, so a quick run on a small one leaves the large one alone. */
export interface Where {
  database: string;
  namespace: string;
}
export function searchDataWhere(events: number): Where {
  return { database: `logflow_bench_search_${events}`, namespace: `benchsearch-${events}` };
}
/** The project searched, and a neighbour whose events every query must leave out. */
export const PROJECTS = [
  { id: 1, name: 'bench', key: 'lf_bench_search_project_1' },
  { id: 2, name: 'neighbour', key: 'lf_bench_search_project_2' },
];
const SPAN_DAYS = 14;
const NEIGHBOUR_SHARE = 0.1;
const DAY = 86_400_000;

/** What the data set is: the same in both stores, or they are not compared on the same data. */
export interface Dataset {
  generator: number;
  events: number;
  spanStartMs: number;
  spanEndMs: number;
  /** Values to query for, seen while generating (project 1). */
  samples: { traceIds: string[]; userIds: number[]; wordCounts: Record<string, number> };
}

interface StoreRecord {
  dataset: Dataset;
  fingerprint: string;
  loadSeconds: number;
}

const sha = (x: unknown) => createHash('sha256').update(JSON.stringify(x)).digest('hex').slice(0, 16);
const sampleEvent = (): LogEvent => ({ ...new EventGenerator(1, 'x').next(Date.UTC(2026, 0, 1)), project_id: 1, ingest_ts: '2026-01-01T00:00:00.200Z' });

/** Tables, columns and indexes of a database's public schema, as PostgreSQL itself describes them. */
async function describeSchema(c: pg.Client): Promise<unknown> {
  const cols = await c.query(`SELECT table_name, column_name, data_type, is_nullable, collation_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'bench_dataset' ORDER BY 1, 2`);
  const idx = await c.query(`SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'bench_dataset' ORDER BY 1, 2`);
  return [cols.rows, idx.rows];
}

/** The schema module's tables made in an empty database, described, and the row function's output. */
async function postgresFingerprint(): Promise<string> {
  const name = uniqueName('logflow_bench_probe_');
  await adminQuery(`CREATE DATABASE ${name}`);
  try {
    const pool = pgPool(name, 1);
    await migrateProjects(pool);
    await migrateLogs(pool);
    await pool.end();
    const c = await pgClient(name);
    const schema = await describeSchema(c);
    await c.end();
    return sha([schema, toRow(sampleEvent())]);
  } finally {
    await dropDatabase(name);
  }
}

function openSearchFingerprint(): string {
  const e = sampleEvent();
  return sha([indexTemplate('x'), toDocument(e), documentId(e), indexFor('x', e)!.index]);
}

async function withClient<T>(db: string, f: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = await pgClient(db);
  try {
    return await f(c);
  } finally {
    await c.end();
  }
}

async function readPostgresRecord(where: Where): Promise<StoreRecord | undefined> {
  try {
    return await withClient(where.database, async (c) => (await c.query(`SELECT value FROM bench_dataset WHERE store = 'postgres'`)).rows[0]?.value as StoreRecord | undefined);
  } catch {
    return undefined; // no database or no record: never finished loading
  }
}

async function readOpenSearchRecord(where: Where): Promise<StoreRecord | undefined> {
  const r = await fetch(`${OPENSEARCH_URL}/_index_template/${templateName(where.namespace)}`).catch(() => undefined);
  if (!r?.ok) return undefined;
  const body = (await r.json()) as { index_templates?: { index_template: { _meta?: { bench?: StoreRecord } } }[] };
  return body.index_templates?.[0]?.index_template._meta?.bench;
}

/** The i-th event of the data set: spread evenly over the span, a tenth of them the neighbour's. */
function* generate(d: Dataset, onEvent?: (e: LogEvent, i: number) => void): Generator<LogEvent> {
  const g = new EventGenerator(44, 'e');
  const step = (d.spanEndMs - d.spanStartMs) / d.events;
  for (let i = 0; i < d.events; i++) {
    const ms = Math.floor(d.spanStartMs + i * step);
    const client = g.next(ms);
    // Deterministic from i, so both loads give each event the same project.
    const project_id = (i * 2654435761) % 1000 < NEIGHBOUR_SHARE * 1000 ? 2 : 1;
    const e: LogEvent = { ...client, project_id, ingest_ts: new Date(ms + 150 + (i % 400)).toISOString() };
    onEvent?.(e, i);
    yield e;
  }
}

function progress(what: string, total: number): (done: number) => void {
  const t0 = performance.now();
  let next = 0.1;
  return (done) => {
    if (done / total < next) return;
    next += 0.1;
    const s = (performance.now() - t0) / 1000;
    console.error(`  ${what}: ${Math.round((100 * done) / total)}% (${Math.round(done / s).toLocaleString('en-US')} events/s, ${s.toFixed(0)} s)`);
  };
}

/** The values the queries use, collected while the data set is generated. */
function sampler(d: Dataset): (e: LogEvent, i: number) => void {
  const every = Math.max(1, Math.floor(d.events / 60));
  d.samples = { traceIds: [], userIds: [], wordCounts: Object.fromEntries(QUERY_WORDS.map((w) => [w, 0])) };
  let wantTrace = false;
  return (e, i) => {
    if (i % every === 0) wantTrace = true;
    if (e.project_id !== 1) return;
    for (const w of QUERY_WORDS) if (e.message.includes(w)) d.samples.wordCounts[w]!++;
    if (wantTrace && e.trace_id) {
      d.samples.traceIds.push(e.trace_id);
      wantTrace = false;
    }
    const user = (e.metadata?.user as { id?: number } | undefined)?.id;
    if (user !== undefined && d.samples.userIds.length < d.samples.traceIds.length) d.samples.userIds.push(user);
  };
}

async function writePostgresRecord(where: Where, record: StoreRecord): Promise<void> {
  await withClient(where.database, async (c) => {
    await c.query('CREATE TABLE IF NOT EXISTS bench_dataset (store text PRIMARY KEY, value jsonb NOT NULL)');
    await c.query(`INSERT INTO bench_dataset VALUES ('postgres', $1) ON CONFLICT (store) DO UPDATE SET value = EXCLUDED.value`, [JSON.stringify(record)]);
  });
}

async function writeOpenSearchRecord(where: Where, record: StoreRecord): Promise<void> {
  const t = indexTemplate(where.namespace);
  const r = await fetch(`${OPENSEARCH_URL}/_index_template/${templateName(where.namespace)}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...t, _meta: { ...t._meta, bench: record } }) });
  if (!r.ok) throw new Error(`OpenSearch refused the index template: ${await r.text()}`);
}

async function loadPostgres(where: Where, d: Dataset, collect?: (e: LogEvent, i: number) => void): Promise<number> {
  const t0 = performance.now();
  await dropDatabase(where.database);
  await adminQuery(`CREATE DATABASE ${where.database}`);
  const pool = pgPool(where.database, 2);
  await migrateProjects(pool);
  await migrateLogs(pool);
  // COPY routes rows into partitions that must be there first: every day of the span, per project.
  const days: LogEvent[] = [];
  for (let ms = d.spanStartMs - DAY; ms <= d.spanEndMs + DAY; ms += DAY) {
    for (const p of PROJECTS) days.push({ ...sampleEvent(), project_id: p.id, timestamp: new Date(ms).toISOString(), ingest_ts: new Date(ms).toISOString() });
  }
  await withClient(where.database, async (c) => {
    for (const p of PROJECTS) await c.query('INSERT INTO projects (id, name, api_key_hash, key_prefix) VALUES ($1, $2, $3, $4)', [p.id, p.name, hashKey(p.key), p.key.slice(0, 8)]);
    await c.query("SELECT setval(pg_get_serial_sequence('projects', 'id'), (SELECT max(id) FROM projects))");
    await new LogPartitions(pool).ensure(days);
    await pool.end();
    // Indexes are built once after the rows are in (PostgreSQL's advice for a bulk load).
    const indexes = await dropIndexes(c);
    const tick = progress('PostgreSQL COPY', d.events);
    await copyRows(c, chunks(generate(d, collect), tick));
    await buildIndexes(c, indexes);
  });
  return (performance.now() - t0) / 1000;
}

function* chunks(events: Iterable<LogEvent>, tick: (n: number) => void): Generator<string> {
  let text = '';
  let n = 0;
  for (const e of events) {
    text += csvLine(e);
    if (++n % 2000 === 0) {
      yield text;
      text = '';
      tick(n);
    }
  }
  if (text) yield text;
}

async function settings(where: Where, body: unknown): Promise<void> {
  const r = await fetch(`${OPENSEARCH_URL}/${indexPattern(where.namespace)}/_settings`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!r.ok) throw new Error(`OpenSearch refused the settings ${JSON.stringify(body)}: ${await r.text()}`);
}

async function loadOpenSearch(where: Where, d: Dataset): Promise<number> {
  const t0 = performance.now();
  await dropOpenSearchNamespace(where.namespace);
  await putTemplate(where.namespace);
  // Every daily index made first from the template, then written without refreshes or a translog
  // fsync per request; both go back to the template's values at the end.
  for (let ms = d.spanStartMs - DAY; ms <= d.spanEndMs + DAY; ms += DAY) {
    await fetch(`${OPENSEARCH_URL}/${indexFor(where.namespace, { timestamp: new Date(ms).toISOString(), ingest_ts: new Date(ms).toISOString() })!.index}`, { method: 'PUT' });
  }
  await settings(where, { index: { refresh_interval: '-1', 'translog.durability': 'async' } });
  const tick = progress('OpenSearch _bulk', d.events);
  let batch: LogEvent[] = [];
  let sent = 0;
  const inFlight = new Set<Promise<void>>();
  const flush = async () => {
    let text = '';
    for (const e of batch) text += `${JSON.stringify({ create: { _index: indexFor(where.namespace, e)!.index, _id: documentId(e) } })}\n${JSON.stringify(toDocument(e))}\n`;
    batch = [];
    const p = sendBulk([Buffer.from(text)], 1).then(({ failed, firstError }) => {
      if (failed) throw new Error(`${failed} documents failed: ${firstError}`);
    });
    const tracked = p.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    if (inFlight.size >= 2) await Promise.race(inFlight);
  };
  for (const e of generate(d)) {
    batch.push(e);
    if (batch.length === 5000) {
      await flush();
      tick((sent += 5000));
    }
  }
  if (batch.length) await flush();
  await Promise.all(inFlight);
  const template = indexTemplate(where.namespace).template.settings;
  await settings(where, { index: { refresh_interval: template.refresh_interval, 'translog.durability': 'request' } });
  await fetch(`${OPENSEARCH_URL}/${indexPattern(where.namespace)}/_refresh`, { method: 'POST' });
  return (performance.now() - t0) / 1000;
}

export interface Loaded {
  where: Where;
  dataset: Dataset;
  /** Seconds each store took to load in this run; absent for a store that was reused. */
  loaded: { postgres?: number; opensearch?: number };
}

const sameDataset = (a: Dataset, b: Dataset) => a.generator === b.generator && a.events === b.events && a.spanStartMs === b.spanStartMs && a.spanEndMs === b.spanEndMs;

/** The kept data set of `events` events in both stores, loading what is missing or out of date. */
export async function ensureSearchData(events: number, rebuild: boolean): Promise<Loaded> {
  const where = searchDataWhere(events);
  const [pgFp, osFp] = [await postgresFingerprint(), openSearchFingerprint()];
  const [pgRec, osRec] = rebuild ? [undefined, undefined] : [await readPostgresRecord(where), await readOpenSearchRecord(where)];
  const fits = (r: StoreRecord | undefined, fp: string) => r && r.fingerprint === fp && r.dataset.generator === GENERATOR_VERSION && r.dataset.events === events;
  const pgOk = fits(pgRec, pgFp);
  if (pgOk) await withClient(where.database, repairIndexes);
  const osOk = fits(osRec, osFp) && (!pgOk || sameDataset(osRec!.dataset, pgRec!.dataset));
  if (pgOk && osOk) return { where, dataset: pgRec!.dataset, loaded: {} };
  // A store still good keeps its span and samples; otherwise a new span ending now.
  const kept = pgOk ? pgRec!.dataset : osOk ? osRec!.dataset : undefined;
  const end = Math.floor(Date.now() / 3_600_000) * 3_600_000;
  const dataset: Dataset = kept ?? { generator: GENERATOR_VERSION, events, spanStartMs: end - SPAN_DAYS * DAY, spanEndMs: end, samples: { traceIds: [], userIds: [], wordCounts: {} } };
  const collect = kept ? undefined : sampler(dataset);
  console.error(`search data set: loading ${[!pgOk && 'PostgreSQL', !osOk && 'OpenSearch'].filter(Boolean).join(' and ')} with ${events.toLocaleString('en-US')} events (${SPAN_DAYS} days)`);
  // Both at once: each store takes about a core. The samples come from the first pass only.
  const [pgSeconds, osSeconds] = await Promise.all([pgOk ? undefined : loadPostgres(where, dataset, collect), osOk ? undefined : loadOpenSearch(where, dataset)]);
  // Recorded once both passes are done, so each record holds the whole set of samples.
  if (pgSeconds !== undefined) await writePostgresRecord(where, { dataset, fingerprint: pgFp, loadSeconds: pgSeconds });
  if (osSeconds !== undefined) await writeOpenSearchRecord(where, { dataset, fingerprint: osFp, loadSeconds: osSeconds });
  return { where, dataset, loaded: { postgres: pgSeconds, opensearch: osSeconds } };
}

/** Removes every kept search data set, of any size; what it removed. */
export async function dropSearchData(): Promise<string[]> {
  const removed: string[] = [];
  const dbs = await withClient('postgres', (c) => c.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'logflow\\_bench\\_search\\_%'"));
  for (const { datname } of dbs.rows) {
    await dropDatabase(datname);
    removed.push(`database ${datname}`);
  }
  const r = await fetch(`${OPENSEARCH_URL}/_index_template/benchsearch-*`).catch(() => undefined);
  const templates = r?.ok ? ((await r.json()) as { index_templates: { name: string }[] }).index_templates : [];
  for (const { name } of templates) {
    const namespace = name.replace(/-logs$/, '');
    await dropOpenSearchNamespace(namespace);
    removed.push(`OpenSearch ${indexPattern(namespace)}`);
  }
  return removed;
}
