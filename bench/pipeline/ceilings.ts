// The raw ceilings: how fast each service takes the same data when LogFlow is not in the way. Each
// writes what the product would write (the stream entry's JSON, the sink's rows and documents, the
// file sink's lines), built by the product's own functions, and prepares its target with the
// product's own schema and template, so a ceiling follows the product when either changes.
import { once } from 'node:events';
import { mkdtemp, open, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { LogEvent } from '../../shared/event.ts';
import { migrateProjects } from '../../server/auth/projects.ts';
import { documentId, indexFor, indexPattern, indexTemplate, templateName, toDocument } from '../../server/stores/opensearch/mapping.ts';
import { LogPartitions } from '../../server/stores/postgres/partitions.ts';
import { migrateLogs } from '../../server/stores/postgres/schema.ts';
import { ROW_COLUMNS, toRow } from '../../server/stores/postgres/sink.ts';
import { cpuSecondsOf } from './proc.ts';
import { fmt } from './report.ts';
import { adminQuery, dropDatabase, dropOpenSearchNamespace, OPENSEARCH_URL, pgPool, REDIS_URL, uniqueName } from './stack.ts';

export interface Ceiling {
  perSecond: number;
  seconds: number;
  /** CPU-s per million of the service doing the work, where it can be told apart. */
  serviceCpuPerMillion?: number;
  /** CPU-s per million of this process feeding it. */
  clientCpuPerMillion?: number;
  /** What the target holds afterwards (a check that the ceiling did the whole job). */
  stored: number;
  how: string;
}

/**
 * The better of two tries of a ceiling, one taken before the figure it stands beside and one after:
 * on a shared machine a single try can land in someone else's busy moment, and a ceiling is what the
 * service can do. `how` says both.
 */
export async function bestOfTwo(first: Ceiling, second: () => Promise<Ceiling>): Promise<Ceiling> {
  const again = await second();
  const best = again.perSecond > first.perSecond ? again : first;
  return { ...best, how: `${best.how}; best of 2 tries, before and after (${fmt(first.perSecond)}/s, ${fmt(again.perSecond)}/s)` };
}

const perMillion = (cpu: number, n: number) => cpu / (n / 1e6);
const selfCpu = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
};

export async function redisCpu(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const v = (k: string) => Number(new RegExp(`^${k}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return v('used_cpu_user') + v('used_cpu_sys');
}

/** One command in Redis's wire protocol (RESP). */
function resp(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/** Counts the replies in what Redis sent so far; keeps a reply cut in two for the next chunk. */
export class ReplyCounter {
  private rest: Buffer = Buffer.alloc(0);
  replies = 0;
  errors: string[] = [];

  push(chunk: Buffer): void {
    const b = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    let at = 0;
    for (;;) {
      const eol = b.indexOf('\r\n', at);
      if (eol < 0) break;
      const kind = b[at];
      if (kind === 0x24) {
        // $<len>\r\n<bytes>\r\n: an entry id
        const end = eol + 2 + Number(b.subarray(at + 1, eol).toString()) + 2;
        if (end > b.length) break;
        at = end;
      } else {
        if (kind === 0x2d) this.errors.push(b.subarray(at, eol).toString());
        at = eol + 2;
      }
      this.replies++;
    }
    this.rest = b.subarray(at);
  }
}

/**
 * XADD of each event's stream entry JSON, sent as pre-encoded wire protocol on a plain socket (as
 * redis-benchmark does), `batch` commands at a time with at most `inFlight` batches unanswered, so
 * what is measured is Redis and not a client library.
 */
export async function xaddCeiling(events: LogEvent[], batch = 1000, inFlight = 8): Promise<Ceiling> {
  const redis = new Redis(REDIS_URL);
  const key = `${uniqueName('bench')}:ceiling`;
  const batches: Buffer[] = [];
  for (let i = 0; i < events.length; i += batch) batches.push(Buffer.from(events.slice(i, i + batch).map((e) => resp(['XADD', key, '*', 'e', JSON.stringify(e)])).join('')));
  const url = new URL(REDIS_URL);
  const socket = net.connect(Number(url.port || 6379), url.hostname);
  try {
    await once(socket, 'connect');
    const counter = new ReplyCounter();
    let wake: (() => void) | undefined;
    socket.on('data', (c: Buffer) => {
      counter.push(c);
      wake?.();
    });
    const until = (n: number) => new Promise<void>((resolve) => {
      const check = () => (counter.replies >= n ? resolve() : (wake = check));
      check();
    });
    const cpu0 = await redisCpu(redis);
    const self0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < batches.length; i++) {
      await until(Math.max(0, (i - inFlight + 1) * batch));
      socket.write(batches[i]!);
    }
    await until(events.length);
    const seconds = (performance.now() - t0) / 1000;
    const client = selfCpu(self0);
    const service = (await redisCpu(redis)) - cpu0;
    if (counter.errors.length) throw new Error(`Redis refused ${counter.errors.length} XADDs: ${counter.errors[0]}`);
    return { perSecond: events.length / seconds, seconds, serviceCpuPerMillion: perMillion(service, events.length), clientCpuPerMillion: perMillion(client, events.length), stored: await redis.xlen(key), how: `XADD pipelined on one connection, ${batch} a batch, ${inFlight} batches in flight` };
  } finally {
    socket.destroy();
    await redis.del(key);
    redis.disconnect();
  }
}

/** A CSV field as COPY reads it: NULL unquoted and empty, everything else quoted. */
function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  return `"${String(v).replaceAll('"', '""')}"`;
}

export function csvLine(e: LogEvent): string {
  return toRow(e).map(csvField).join(',') + '\n';
}

/** Writes CSV chunks into a COPY stream, waiting when it is full. */
export async function copyRows(client: pg.PoolClient | pg.Client, chunks: Iterable<string>): Promise<void> {
  const stream = client.query(copyFrom(`COPY logs (${ROW_COLUMNS}) FROM STDIN WITH (FORMAT csv)`));
  const done = new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', reject);
  });
  for (const chunk of chunks) if (!stream.write(chunk)) await Promise.race([once(stream, 'drain'), done]);
  stream.end();
  await done;
}

/** A database with LogFlow's own projects and logs tables (the schema module's DDL), and the projects the events name. */
export async function logsDatabase(name: string, projectIds: number[]): Promise<pg.Pool> {
  await adminQuery(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  const pool = pgPool(name, 2);
  await migrateProjects(pool);
  await migrateLogs(pool);
  for (const id of projectIds) await pool.query("INSERT INTO projects (id, name, api_key_hash) VALUES ($1, $2, $3)", [id, `p${id}`, `bench-${id}-${uniqueName('k')}`]);
  await pool.query("SELECT setval(pg_get_serial_sequence('projects', 'id'), (SELECT max(id) FROM projects))");
  return pool;
}

/** COPY of the sink's own rows into a fresh table of the same shape and indexes, in one stream. */
export async function copyCeiling(events: LogEvent[]): Promise<Ceiling> {
  const name = uniqueName('logflow_bench_ceiling_');
  const pool = await logsDatabase(name, [...new Set(events.map((e) => e.project_id))]);
  try {
    const chunks: string[] = [];
    for (let i = 0; i < events.length; i += 1000) chunks.push(events.slice(i, i + 1000).map(csvLine).join(''));
    // COPY routes rows into the partitions, which must be there first (the sink makes them as it goes).
    await new LogPartitions(pool).ensure(events);
    const client = await pool.connect();
    try {
      const { rows } = await client.query('SELECT pg_backend_pid() AS pid');
      const pid = Number(rows[0].pid);
      const cpu0 = cpuSecondsOf(pid);
      const t0 = performance.now();
      await copyRows(client, chunks);
      const seconds = (performance.now() - t0) / 1000;
      const cpu1 = cpuSecondsOf(pid);
      const stored = Number((await client.query('SELECT count(*) AS n FROM logs')).rows[0].n);
      return {
        perSecond: events.length / seconds,
        seconds,
        serviceCpuPerMillion: cpu0 !== undefined && cpu1 !== undefined ? perMillion(cpu1 - cpu0, events.length) : undefined,
        stored,
        how: 'one COPY (csv) of the same rows, table and indexes from the schema module',
      };
    } finally {
      client.release();
    }
  } finally {
    await pool.end();
    await dropDatabase(name);
  }
}

/** `_bulk` bodies of `create` actions, as the sink makes them (index, id and document from mapping.ts). */
export function bulkBodies(namespace: string, events: LogEvent[], perRequest: number): Buffer[] {
  const bodies: Buffer[] = [];
  for (let i = 0; i < events.length; i += perRequest) {
    let text = '';
    for (const e of events.slice(i, i + perRequest)) {
      text += `${JSON.stringify({ create: { _index: indexFor(namespace, e)!.index, _id: documentId(e) } })}\n${JSON.stringify(toDocument(e))}\n`;
    }
    bodies.push(Buffer.from(text));
  }
  return bodies;
}

/** Sends bulk bodies `inFlight` at a time; answers the items that did not come back 201. */
export async function sendBulk(bodies: Buffer[], inFlight: number): Promise<{ failed: number; firstError?: string }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: inFlight });
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const lane = async () => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      const text = await new Promise<string>((resolve, reject) => {
        const req = http.request(`${OPENSEARCH_URL}/_bulk`, { method: 'POST', agent, headers: { 'content-type': 'application/x-ndjson', 'content-length': body.length } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(Buffer.concat(chunks).toString()));
        });
        req.on('error', reject);
        req.end(body);
      });
      const answer = JSON.parse(text) as { errors?: boolean; items?: Record<string, { status: number; error?: unknown }>[] };
      if (!answer.items) throw new Error(`OpenSearch answered the bulk without items: ${text.slice(0, 300)}`);
      if (answer.errors) {
        for (const item of answer.items) {
          const r = Object.values(item)[0]!;
          if (r.status !== 201) {
            failed++;
            firstError ??= JSON.stringify(r.error ?? r.status);
          }
        }
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  agent.destroy();
  return { failed, firstError };
}

export async function countDocs(namespace: string): Promise<number> {
  await fetch(`${OPENSEARCH_URL}/${indexPattern(namespace)}/_refresh?allow_no_indices=true`, { method: 'POST' });
  const r = (await (await fetch(`${OPENSEARCH_URL}/${indexPattern(namespace)}/_count?allow_no_indices=true`)).json()) as { count?: number };
  return r.count ?? 0;
}

export async function putTemplate(namespace: string): Promise<void> {
  const r = await fetch(`${OPENSEARCH_URL}/_index_template/${templateName(namespace)}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(indexTemplate(namespace)) });
  if (!r.ok) throw new Error(`OpenSearch refused the index template: ${await r.text()}`);
}

/** Raw `_bulk` of the sink's documents through the same template, `perRequest` docs a request. */
export async function bulkCeiling(events: LogEvent[], perRequest = 5000, inFlight = 2): Promise<Ceiling> {
  const namespace = uniqueName('benchc');
  try {
    await putTemplate(namespace);
    const bodies = bulkBodies(namespace, events, perRequest);
    const t0 = performance.now();
    const { failed, firstError } = await sendBulk(bodies, inFlight);
    const seconds = (performance.now() - t0) / 1000;
    if (failed) throw new Error(`${failed} documents of the bulk ceiling failed: ${firstError}`);
    return { perSecond: events.length / seconds, seconds, stored: await countDocs(namespace), how: `raw _bulk create, same template, ${perRequest} docs a request, ${inFlight} in flight` };
  } finally {
    await dropOpenSearchNamespace(namespace);
  }
}

/** The file sink's bytes (one JSON line per event) appended to one file in 1 MiB writes, fdatasync after each. */
export async function fileCeiling(events: LogEvent[]): Promise<Ceiling> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'logflow-bench-fsync-'));
  try {
    const text = Buffer.from(events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const CHUNK = 1 << 20;
    const handle = await open(path.join(dir, 'ceiling.log'), 'a');
    const t0 = performance.now();
    try {
      for (let at = 0; at < text.length; at += CHUNK) {
        await handle.write(text.subarray(at, at + CHUNK));
        await handle.datasync();
      }
    } finally {
      await handle.close();
    }
    const seconds = (performance.now() - t0) / 1000;
    return { perSecond: events.length / seconds, seconds, stored: events.length, how: 'the same lines appended in 1 MiB writes, fdatasync after each' };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
