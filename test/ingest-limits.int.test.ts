import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectStore } from '../server/auth/projects.ts';
import { openPool } from '../server/db.ts';
import { migrate } from '../server/migrate.ts';
import { startServer, type RunningServer } from '../server/server.ts';
import { loadSettings, type Settings } from '../shared/config.ts';
import { createLogger } from '../shared/logger.ts';
import { runCli } from './cli.ts';
import { createTestDatabase, dropRedisNamespace, eventually, REDIS_URL, uniqueName } from './helpers.ts';

// Issue 8 item 13: one project's flood is answered 429 with Retry-After, to that project alone, and
// the limit holds across several servers behind a load balancer (two here, on one Redis), as Loki's
// per-tenant limits do. `logflow projects set` changes a project's limits for every server.
const log = createLogger('silent');
const RATE = 500;
const BURST = 1000;
const BATCH = 100;
const batch = (tag: string, n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({ message: `${tag} ${i}`, service: tag })).join('\n');

describe('when one project floods and another sends as usual, through two servers', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let settings: Settings;
  const servers: RunningServer[] = [];
  let floodKey: string;
  let calmKey: string;
  const namespace = uniqueName('t');

  const post = (i: number, key: string, body: string) =>
    fetch(`http://127.0.0.1:${servers[i % servers.length]!.address.port}/logs`, { method: 'POST', body, headers: { 'x-api-key': key, 'content-type': 'application/x-ndjson' } }).then(async (r) => ({
      status: r.status,
      retryAfter: r.headers.get('retry-after'),
      body: (await r.json()) as { accepted?: number; error?: string; message?: string },
    }));

  beforeAll(async () => {
    db = await createTestDatabase();
    settings = loadSettings({ DATABASE_URL: db.url, REDIS_URL, LOGFLOW_NAMESPACE: namespace, LOGFLOW_PORT: '0', LOGFLOW_SINKS: 'file' });
    await migrate(settings, log);
    const pool = openPool(db.url);
    const projects = new ProjectStore(pool);
    floodKey = (await projects.create('flood')).apiKey;
    calmKey = (await projects.create('calm')).apiKey;
    await projects.set('flood', { ingestion_events_rate: RATE, ingestion_events_burst: BURST });
    await pool.end();
    servers.push(await startServer(settings, log), await startServer(settings, log));
  });

  afterAll(async () => {
    for (const s of servers) await s.close();
    const redis = new Redis(REDIS_URL);
    await dropRedisNamespace(redis, namespace);
    redis.disconnect();
    await db?.drop();
  });

  it('does answer the flooding project 429 with Retry-After beyond its limit, summed over both servers, and never the other', async () => {
    const started = Date.now();
    const flood: { status: number; retryAfter: string | null; body: { accepted?: number; error?: string; message?: string } }[] = [];
    const calm: number[] = [];
    const floodLane = async (lane: number) => {
      for (let i = lane; Date.now() - started < 3000; i += 2) flood.push(await post(i, floodKey, batch('flood', BATCH)));
    };
    const calmLane = async () => {
      for (let i = 0; Date.now() - started < 3000; i++) {
        calm.push((await post(i, calmKey, batch('calm', 10))).status);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await Promise.all([floodLane(0), floodLane(1), calmLane()]);
    const elapsed = (Date.now() - started) / 1000;

    const accepted = flood.filter((r) => r.status === 200).length * BATCH;
    const limited = flood.filter((r) => r.status === 429);
    expect(new Set(flood.map((r) => r.status))).toEqual(new Set([200, 429]));
    // The burst at once, then the rate: what both servers took together, never more (one request of debt at most).
    expect(accepted).toBeGreaterThanOrEqual(BURST);
    expect(accepted).toBeLessThanOrEqual(BURST + RATE * elapsed + BATCH);
    for (const r of limited) {
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(r.body).toMatchObject({ error: 'rate_limited', message: expect.stringMatching(/^project "flood" is sending more than its ingest limit of 500 events\/s \(burst 1,000\): nothing was taken/) });
    }
    expect(calm.length).toBeGreaterThan(5);
    expect(new Set(calm)).toEqual(new Set([200]));
  });

  it('does apply `logflow projects set` on every server within 10 s', async () => {
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: db.url, REDIS_URL };
    const set = await runCli(['projects', 'set', 'flood', '--ingestion-events-rate', '0'], env);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/flood {2}ingestion-events-rate +no limit +\(its own\)/);
    const changed = Date.now();
    await eventually(async () => {
      for (let i = 0; i < 30; i++) if ((await post(i, floodKey, batch('flood', BATCH))).status !== 200) return undefined;
      return true;
    }, 15_000, 'the flood project to be unlimited on both servers');
    expect(Date.now() - changed).toBeLessThan(12_000);
    const bad = await runCli(['projects', 'set', 'flood', '--ingestion-rate', 'lots'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--ingestion-rate: "lots" is not a size such as 4MiB/);
  });
});
