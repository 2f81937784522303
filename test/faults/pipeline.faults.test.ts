import { appendFile, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, stop, freePort } from '../cli.ts';
import { eventually } from '../helpers.ts';
import { markerOf, markersIn, tally, type Tally } from './markers.ts';
import { startOwnOpenSearch, startOwnPostgres, startOwnRedis, type OwnService } from './own-services.ts';

// Lines with unique markers go through a real `logflow ship` (a file, rotated by rename) while every
// other part fails in turn: worker processes SIGKILLed, the server stopped with SIGTERM and with
// SIGKILL, PostgreSQL and OpenSearch each stopped for a while, Redis (append-only, fsync always)
// killed and restarted. Then every store is counted. PostgreSQL, Redis and OpenSearch are instances
// of this test's own: the machine's shared ones are never stopped.
//
// LOGFLOW_FAULTS_LINES (60000) and LOGFLOW_FAULTS_SECONDS (150) set the size and the writing time.

const LINES = Number(process.env.LOGFLOW_FAULTS_LINES ?? 60_000);
const SECONDS = Number(process.env.LOGFLOW_FAULTS_SECONDS ?? 150);
const ROTATE_EVERY = Math.ceil(LINES / 6);
const NAMESPACE = 'faults';

type Proc = ReturnType<typeof startCli>;

describe('when every part of the pipeline fails in turn while files are shipped', () => {
  let postgres: OwnService;
  let redis: OwnService;
  let opensearch: OwnService;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let apiKey: string;
  let server: Proc | undefined;
  let shipper: Proc | undefined;
  const workers: Record<string, Proc | undefined> = {};
  const faults: string[] = [];
  const outputs: string[] = [];
  const startedAt = Date.now();
  const say = (what: string) => process.stdout.write(`faults ${((Date.now() - startedAt) / 1000).toFixed(0).padStart(4)}s  ${what}\n`);

  const logDir = () => path.join(dir, 'app');
  const keep = (p: Proc | undefined, name: string) => p && outputs.push(`--- ${name}\n${p.output().split('\n').slice(-30).join('\n')}`);

  async function startServer(): Promise<void> {
    keep(server, 'server (before restart)');
    server = startCli(['server'], env);
    // Any answer will do: /healthz is 503 while a store is down, and the server is up all the same.
    await eventually(async () => ((await fetch(`${env.LOGFLOW_URL}/healthz`).catch(() => undefined)) ? true : undefined), 60_000, 'the server to answer');
  }

  function startWorker(name: string): void {
    keep(workers[name], `worker ${name} (before restart)`);
    workers[name] = startCli(['worker', '--consumer', name], env);
  }

  beforeAll(async () => {
    say(`starting PostgreSQL, Redis and OpenSearch of our own for ${LINES} lines over ${SECONDS}s`);
    [postgres, redis, opensearch] = await Promise.all([startOwnPostgres(), startOwnRedis(), startOwnOpenSearch()]);
    dir = await mkdtemp(path.join(os.tmpdir(), 'logflow-faults-'));
    await mkdir(logDir());
    const port = await freePort();
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      REDIS_URL: redis.url,
      DATABASE_URL: postgres.url,
      OPENSEARCH_URL: opensearch.url,
      LOGFLOW_NAMESPACE: NAMESPACE,
      LOGFLOW_FILE_DIR: path.join(dir, 'archive'),
      LOGFLOW_STATE_DIR: path.join(dir, 'state'),
      LOGFLOW_PORT: String(port),
      LOGFLOW_URL: `http://127.0.0.1:${port}`,
      LOGFLOW_LOG_LEVEL: 'warn',
      // Short, so a killed worker's batch is taken over within the run.
      LOGFLOW_CLAIM_IDLE_MS: '5000',
    };
    const migrated = await runCli(['migrate'], env);
    if (migrated.code !== 0) throw new Error(`migrate failed: ${migrated.stderr}`);
    const created = await runCli(['projects', 'create', 'faults', '--json'], env);
    apiKey = (JSON.parse(created.stdout) as { api_key: string }).api_key;
    startWorker('w1');
    startWorker('w2');
    await startServer();
    await writeFile(path.join(logDir(), 'app.log'), '');
    shipper = startCli(['ship', '--service', 'faults', '--from-beginning', '--quiet', path.join(logDir(), 'app.log')], { ...env, LOGFLOW_API_KEY: apiKey });
  }, 600_000);

  afterAll(async () => {
    for (const p of [shipper, server, ...Object.values(workers)]) await stop(p, 'SIGKILL').catch(() => {});
    await Promise.all([postgres, redis, opensearch].map((s) => s?.destroy().catch(() => {})));
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 120_000);

  /** Writes LINES lines at an even pace, renaming app.log away every ROTATE_EVERY lines. */
  async function writeLines(): Promise<number> {
    const file = path.join(logDir(), 'app.log');
    const perTick = Math.max(1, Math.round(LINES / (SECONDS * 10)));
    let rotations = 0;
    for (let i = 0; i < LINES; ) {
      const tickStart = Date.now();
      let chunk = '';
      for (let n = 0; n < perTick && i < LINES; n++, i++) {
        chunk += `${JSON.stringify({ level: i % 50 === 0 ? 50 : 30, time: Date.now(), pid: 1, msg: `fault run line ${markerOf(i)} of ${LINES}` })}\n`;
        if ((i + 1) % ROTATE_EVERY === 0 && i + 1 < LINES) {
          await appendFile(file, chunk);
          chunk = '';
          await rename(file, `${file}.${++rotations}`);
          await writeFile(file, '');
        }
      }
      if (chunk) await appendFile(file, chunk);
      await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - tickStart))));
    }
    return rotations;
  }

  /**
   * The faults, each at its share of the writing time, recorded for the figures. Two worker kills fall
   * in store outages, when the workers hold batches they cannot settle, and the Redis kill falls while
   * OpenSearch is away, with its backlog waiting in the stream.
   */
  async function injectFaults(): Promise<void> {
    const at = async (share: number) => {
      const wait = startedWriting + share * SECONDS * 1000 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    };
    const pause = (s: number) => new Promise((r) => setTimeout(r, s * 1000));
    const fault = async (what: string, action: () => Promise<void>) => {
      const held = await queueState().then((q) => `${q.pending} events held, ${q.unread} unread`, () => 'Redis away');
      say(`${what} (${held})`);
      const t = Date.now();
      await action();
      faults.push(`${what} (${((Date.now() - t) / 1000).toFixed(0)} s; ${held})`);
    };
    const killWorker = (name: string) =>
      fault(`worker ${name} SIGKILL, restarted 3 s later`, async () => {
        await stop(workers[name], 'SIGKILL');
        await pause(3);
        startWorker(name);
      });
    await at(0.06);
    await killWorker('w1');
    await at(0.12);
    await fault('server SIGTERM, restarted', async () => {
      await stop(server, 'SIGTERM');
      await startServer();
    });
    await at(0.2);
    await fault('PostgreSQL stopped (fast shutdown)', () => postgres.stop());
    await pause(8);
    await killWorker('w1');
    await pause(10);
    await fault('PostgreSQL started again', () => postgres.start());
    await at(0.45);
    await fault('server SIGKILL, restarted', async () => {
      await stop(server, 'SIGKILL');
      await startServer();
    });
    await at(0.55);
    await fault('OpenSearch stopped', () => opensearch.stop());
    await pause(5);
    await killWorker('w2');
    await pause(3);
    await fault('Redis SIGKILL, restarted 3 s later from its append-only file', async () => {
      await redis.stop();
      await pause(3);
      await redis.start();
    });
    await pause(5);
    await fault('OpenSearch started again', () => opensearch.start());
    await at(0.85);
    await killWorker('w1');
  }
  let startedWriting = 0;

  async function postgresMarkers(): Promise<string[]> {
    const c = new pg.Client({ connectionString: postgres.url });
    await c.connect();
    try {
      return (await c.query<{ message: string }>('SELECT message FROM logs')).rows.flatMap((r) => markersIn(r.message));
    } finally {
      await c.end();
    }
  }

  async function postgresCount(): Promise<number> {
    const c = new pg.Client({ connectionString: postgres.url });
    await c.connect();
    try {
      return (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM logs')).rows[0]!.n;
    } finally {
      await c.end();
    }
  }

  async function opensearchCount(): Promise<number> {
    await fetch(`${opensearch.url}/${NAMESPACE}-logs-*/_refresh`, { method: 'POST' });
    const r = await fetch(`${opensearch.url}/${NAMESPACE}-logs-*/_count`);
    return ((await r.json()) as { count?: number }).count ?? 0;
  }

  async function opensearchMarkers(): Promise<string[]> {
    const out: string[] = [];
    let r = await fetch(`${opensearch.url}/${NAMESPACE}-logs-*/_search?scroll=2m`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 5000, _source: ['message'], sort: ['_doc'] }) });
    for (;;) {
      const page = (await r.json()) as { _scroll_id: string; hits: { hits: { _source: { message: string } }[] } };
      if (!page.hits.hits.length) break;
      for (const h of page.hits.hits) out.push(...markersIn(h._source.message));
      r = await fetch(`${opensearch.url}/_search/scroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ scroll: '2m', scroll_id: page._scroll_id }) });
    }
    return out;
  }

  async function archiveMarkers(): Promise<string[]> {
    const out: string[] = [];
    const root = env.LOGFLOW_FILE_DIR!;
    for (const project of await readdir(root)) {
      for (const f of await readdir(path.join(root, project))) out.push(...markersIn(await readFile(path.join(root, project, f), 'utf8')));
    }
    return out;
  }

  async function searchMarkers(): Promise<string[]> {
    const r = await runCli(['search', '--since', '1h', '--limit', String(LINES + 1000), '--output', 'ndjson'], { ...env, LOGFLOW_API_KEY: apiKey });
    if (r.code !== 0) throw new Error(`logflow search failed: ${r.stderr}`);
    return r.stdout.split('\n').filter(Boolean).flatMap((l) => markersIn((JSON.parse(l) as { message: string }).message));
  }

  /** Dead letters, and what the groups still hold: pending (received, not settled) and unread entries. */
  async function queueState(): Promise<{ deadLetters: number; pending: number; unread: number }> {
    const client = new Redis(redis.url);
    try {
      const record = (flat: unknown[]) => {
        const info: Record<string, unknown> = {};
        for (let i = 0; i + 1 < flat.length; i += 2) info[String(flat[i])] = flat[i + 1];
        return info;
      };
      const last = String(record((await client.call('XINFO', 'STREAM', `${NAMESPACE}:events`)) as unknown[])['last-generated-id']);
      let pending = 0;
      let unread = 0;
      for (const g of (await client.call('XINFO', 'GROUPS', `${NAMESPACE}:events`)) as unknown[][]) {
        const info = record(g);
        pending += Number(info.pending);
        // Redis cannot always tell the lag (after trimming); then a group has read all when it has read the last entry.
        unread += typeof info.lag === 'number' ? info.lag : info['last-delivered-id'] === last ? 0 : 1;
      }
      return { deadLetters: await client.xlen(`${NAMESPACE}:dead-letter`), pending, unread };
    } finally {
      client.disconnect();
    }
  }

  it('does store every line once in PostgreSQL and OpenSearch, at least once in the archive, and dead-letters nothing', async () => {
    startedWriting = Date.now();
    say('writing lines');
    const [rotations] = await Promise.all([writeLines(), injectFaults()]);
    const wroteIn = (Date.now() - startedWriting) / 1000;
    say(`all ${LINES} lines written (${rotations} rotations); waiting for the stores`);
    try {
      await eventually(async () => ((await postgresCount().catch(() => 0)) >= LINES && (await opensearchCount().catch(() => 0)) >= LINES ? true : undefined), 300_000, 'every line in PostgreSQL and OpenSearch');
    } catch (err) {
      say(`not everything arrived: ${(err as Error).message}`);
    }
    await stop(shipper, 'SIGTERM');
    const shipperExit = shipper?.exitCode;
    keep(shipper, 'shipper');
    await eventually(async () => {
      const q = await queueState();
      return q.pending === 0 && q.unread === 0 ? q : undefined;
    }, 120_000, 'the backlog to drain').catch(() => undefined);
    const queue = await queueState();
    const counted: Record<string, Tally> = {
      postgres: tally(LINES, await postgresMarkers()),
      opensearch: tally(LINES, await opensearchMarkers()),
      archive: tally(LINES, await archiveMarkers()),
      'logflow search': tally(LINES, await searchMarkers()),
    };
    const rows = Object.entries(counted).map(([store, t]) => `  ${store.padEnd(15)} ${String(t.stored).padStart(8)} ${String(t.distinct).padStart(9)} ${String(t.lost).padStart(6)} ${String(t.duplicated).padStart(11)}`);
    process.stdout.write(
      [
        '',
        `fault run: ${LINES} lines shipped by logflow ship from a file renamed away ${rotations} times, written over ${wroteIn.toFixed(0)} s, all counted ${((Date.now() - startedAt) / 1000).toFixed(0)} s after the start`,
        `faults injected (${faults.length}):`,
        ...faults.map((f) => `  - ${f}`),
        '  store             stored  distinct   lost  duplicated',
        ...rows,
        `  dead-lettered ${queue.deadLetters}; backlog: ${queue.pending} pending, ${queue.unread} unread; shipper exit ${shipperExit}`,
        '',
      ].join('\n'),
    );
    const failed = Object.values(counted).some((t) => t.lost) || queue.deadLetters || queue.pending || queue.unread;
    if (failed) process.stdout.write(`${outputs.join('\n')}\n--- server\n${server?.output().slice(-3000)}\n${Object.entries(workers).map(([n, w]) => `--- worker ${n}\n${w?.output().slice(-3000)}`).join('\n')}\n`);
    for (const [store, t] of Object.entries(counted)) expect({ store, lost: t.lost, missing: t.missing }).toEqual({ store, lost: 0, missing: [] });
    expect(counted.postgres!.duplicated).toBe(0);
    expect(counted.opensearch!.duplicated).toBe(0);
    expect(counted['logflow search']!.duplicated).toBe(0);
    expect(queue).toEqual({ deadLetters: 0, pending: 0, unread: 0 });
    expect(shipperExit).toBe(0);
    expect(faults).toHaveLength(11);
  });
});
