import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, startOfUtcDay } from '../shared/retention.ts';
import { freePort, runCli, startCli, stop } from './cli.ts';
import { createTestDatabase, dropOpenSearchNamespace, eventually, OPENSEARCH_URL, REDIS_URL, uniqueName } from './helpers.ts';
import { PREVIOUS_RELEASE_DDL } from './retention-fixture.ts';

// Retention as a person uses it: an installation of the previous release is migrated (its rows
// kept), projects get retentions of their own, `logflow retention --dry-run` shows what would go
// and changes nothing, `--now` removes exactly that from every store, and searches never show an
// event past its project's retention, before or after.

const NOW = Date.now();
const day = (daysAgo: number) => startOfUtcDay(NOW) - daysAgo * DAY_MS;
const ymd = (ms: number) => new Date(ms).toISOString().slice(0, 10).replace(/-/g, '');

describe('when an installation keeps logs for a time, per project', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: pg.Client;
  let env: NodeJS.ProcessEnv;
  let fileDir: string;
  let server: ReturnType<typeof startCli> | undefined;
  let worker: ReturnType<typeof startCli> | undefined;
  let shortKey: string;
  let shortId: number;
  const namespace = uniqueName('t');

  const cli = async (args: string[], extra: NodeJS.ProcessEnv = {}) => runCli(args, { ...env, ...extra });
  const stored = async () => (await client.query<{ event_id: string }>('SELECT event_id FROM logs ORDER BY 1')).rows.map((r) => r.event_id);
  const files = async () => (await readdir(path.join(fileDir, String(shortId))).catch(() => [])).sort();

  beforeAll(async () => {
    db = await createTestDatabase();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    // The previous release's tables: project a (id 1) wrote 5 and 70 days ago, b (id 2) 70 days ago.
    await client.query(PREVIOUS_RELEASE_DDL);
    await client.query(
      `INSERT INTO logs (project_id, event_id, ts, ingest_ts, service, level, message)
       VALUES (1, 'a-5', $1, $1, 'api', 'INFO', 'a five days ago'), (1, 'a-70', $2, $2, 'api', 'INFO', 'a seventy days ago'), (2, 'b-70', $2, $2, 'api', 'INFO', 'b seventy days ago')`,
      [new Date(day(5) + 3_600_000), new Date(day(70) + 3_600_000)],
    );
    fileDir = await mkdtemp(path.join(os.tmpdir(), 'logflow-retention-'));
    const port = await freePort();
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      REDIS_URL,
      DATABASE_URL: db.url,
      OPENSEARCH_URL,
      LOGFLOW_NAMESPACE: namespace,
      LOGFLOW_FILE_DIR: fileDir,
      LOGFLOW_PORT: String(port),
      LOGFLOW_URL: `http://127.0.0.1:${port}`,
      LOGFLOW_LOG_LEVEL: 'warn',
      LOGFLOW_RETENTION_EVERY_MS: '0', // only the commands below remove anything
    };
  });

  afterAll(async () => {
    await stop(server);
    await stop(worker);
    const redis = new Redis(REDIS_URL);
    await redis.del(`${namespace}:events`, `${namespace}:dead-letter`);
    redis.disconnect();
    await dropOpenSearchNamespace(namespace);
    await client?.end();
    await db?.drop();
    await rm(fileDir, { recursive: true, force: true });
  });

  it('does partition the previous release’s table with logflow migrate, keeping its rows', async () => {
    const r = await cli(['migrate']);
    expect(r.code, r.stderr).toBe(0);
    expect((await client.query("SELECT relkind::text AS k FROM pg_class WHERE relname = 'logs'")).rows[0].k).toBe('p');
    expect(await stored()).toEqual(['a-5', 'a-70', 'b-70']);
    expect((await cli(['migrate'])).code).toBe(0);
  });

  it('does take a retention per project when it is created or set, and refuses one it cannot keep', async () => {
    const created = await cli(['projects', 'create', 'short', '--retention', '7d', '--json']);
    expect(created.code, created.stderr).toBe(0);
    ({ api_key: shortKey, id: shortId } = JSON.parse(created.stdout) as { api_key: string; id: number });
    const set = await cli(['projects', 'set', 'a', '--retention', '90d']);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/^a\s+retention\s+90d\s+\(its own\)$/m);
    const bad = await cli(['projects', 'set', 'a', '--retention', '36h']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--retention: "36h" is not a retention: whole days or weeks such as 7d/);
    const list = await cli(['projects', 'list', '--json']);
    const overrides = (JSON.parse(list.stdout) as { name: string; overrides: object }[]).map((p) => [p.name, p.overrides]);
    expect(overrides).toEqual([['a', { retention_days: 90 }], ['b', {}], ['short', { retention_days: 7 }]]);
    expect((await cli(['projects', 'list'])).stdout).toMatch(/ short .*retention.*7d/);
  });

  it('does show what is past retention with --dry-run, remove it with --now, and never search it', async () => {
    worker = startCli(['worker'], env);
    server = startCli(['server'], env);
    await eventually(async () => ((await fetch(`${env.LOGFLOW_URL}/healthz`).catch(() => undefined))?.ok ? true : undefined), 60_000, 'the server');
    const body = [1, 10].map((ago) => JSON.stringify({ event_id: `short-${ago}`, service: 'api', level: 'INFO', message: `short ${ago} days ago`, timestamp: new Date(day(ago) + 3_600_000).toISOString() })).join('\n');
    const posted = await fetch(`${env.LOGFLOW_URL}/logs`, { method: 'POST', headers: { 'x-api-key': shortKey, 'content-type': 'application/x-ndjson' }, body });
    expect(posted.status).toBe(200);
    const indexed = async () => {
      await fetch(`${OPENSEARCH_URL}/${namespace}-logs-*/_refresh`, { method: 'POST' });
      return ((await (await fetch(`${OPENSEARCH_URL}/${namespace}-logs-*/_count`)).json()) as { count?: number }).count ?? 0;
    };
    await eventually(async () => ((await stored()).includes('short-10') && (await files()).length === 2 && (await indexed()) === 2 ? true : undefined), 30_000, 'the events in every store');

    const search = async () => {
      const r = await cli(['search', '--since', '60d', '--output', 'ndjson'], { LOGFLOW_API_KEY: shortKey });
      expect(r.code, r.stderr).toBe(0);
      return r.stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { event_id: string }).event_id);
    };
    expect(await search()).toEqual(['short-1']); // short-10 is stored everywhere, but past the project's 7 days

    const expired = [
      `postgres   partition logs_${ymd(day(70))}`, // b's day 70 days ago (a keeps its own for 90 days)
      `postgres   partition logs_${ymd(day(10))}_${ymd(day(9))}_p${shortId}  project ${shortId}`,
      `opensearch documents ${namespace}-logs-${new Date(day(10)).toISOString().slice(0, 10).replace(/-/g, '.')}  project ${shortId}`,
      `file       file      ${shortId}/${new Date(day(10)).toISOString().slice(0, 10)}.log  project ${shortId}`,
    ];
    const dry = await cli(['retention', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    const lines = dry.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(4);
    for (const e of expired) expect(lines.some((l) => l.startsWith(e)), `${e} in\n${dry.stdout}`).toBe(true);
    expect(lines.find((l) => l.includes(`p${shortId} `))).toMatch(/\(1 events\)$/);
    expect(dry.stderr).toMatch(/would remove 1 set of documents, 2 partitions, 1 file \(3 events counted\)/);
    expect(await stored()).toEqual(['a-5', 'a-70', 'b-70', 'short-1', 'short-10']);
    expect(await files()).toHaveLength(2);

    const now = await cli(['retention', '--now']);
    expect(now.code, now.stderr).toBe(0);
    expect(now.stdout.split('\n').filter(Boolean).map((l) => l.split('  ')[0])).toEqual(lines.map((l) => l.split('  ')[0]));
    expect(await stored()).toEqual(['a-5', 'a-70', 'short-1']);
    expect(await files()).toEqual([`${new Date(day(1)).toISOString().slice(0, 10)}.log`]);
    expect(await indexed()).toBe(1);
    expect(await search()).toEqual(['short-1']);

    const again = await cli(['retention', '--dry-run']);
    expect(again.stdout).toBe('');
    expect((await cli(['retention'])).code).toBe(2);
  });
});
