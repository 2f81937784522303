import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { exited, freePort, runCli, startCli } from './cli.ts';
import { createTestDatabase, eventually, REDIS_URL, uniqueName } from './helpers.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

/** The environment of a `logflow up` of its own: database, namespace, port and file directory. */
async function upEnv(extra: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv & { LOGFLOW_URL: string; DATABASE_URL: string }> {
  const db = await createTestDatabase();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'logflow-up-'));
  const namespace = uniqueName('tup');
  const port = await freePort();
  cleanups.push(db.drop, () => rm(dir, { recursive: true, force: true }), async () => {
    const redis = new Redis(REDIS_URL);
    await redis.del(`${namespace}:events`, `${namespace}:dead-letter`);
    redis.disconnect();
  });
  return { PATH: process.env.PATH, HOME: process.env.HOME, REDIS_URL, DATABASE_URL: db.url, LOGFLOW_NAMESPACE: namespace, LOGFLOW_PORT: String(port), LOGFLOW_URL: `http://127.0.0.1:${port}`, LOGFLOW_FILE_DIR: dir, ...extra };
}

function start(env: NodeJS.ProcessEnv & { LOGFLOW_URL: string }) {
  const up = startCli(['up'], env);
  cleanups.unshift(async () => up.exitCode === null && up.kill('SIGKILL'));
  return up;
}

const answers = (url: string) => eventually(async () => ((await fetch(`${url}/healthz`).catch(() => undefined)) ? true : undefined), 30_000, 'logflow up to answer');

describe('when logflow up is stopped with SIGTERM', () => {
  it('does exit 0 and log nothing about Redis being away, naming a sink at most once per line', async () => {
    const env = await upEnv();
    const up = start(env);
    await answers(env.LOGFLOW_URL);
    await new Promise((r) => setTimeout(r, 500)); // the sink workers in their blocking reads
    up.kill('SIGTERM');
    expect(await exited(up)).toBe(0);
    const lines = up.output().split('\n').filter((l) => l.startsWith('{'));
    expect(lines.some((l) => l.includes('worker started'))).toBe(true);
    expect(lines.filter((l) => /unavailable|retrying/.test(l))).toEqual([]);
    for (const l of lines) expect((l.match(/"sink":/g) ?? []).length).toBeLessThanOrEqual(1);
  });
});

describe('when OpenSearch is down as logflow up starts', () => {
  it('does take events and store them in PostgreSQL meanwhile', async () => {
    const env = await upEnv({ OPENSEARCH_URL: `http://127.0.0.1:${await freePort()}` });
    const created = await runCli(['projects', 'create', 'shop', '--json'], env);
    const key = (JSON.parse(created.stdout) as { api_key: string }).api_key;
    const up = start(env);
    await answers(env.LOGFLOW_URL);
    const res = await fetch(`${env.LOGFLOW_URL}/logs`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify({ timestamp: new Date().toISOString(), service: 'api', level: 'INFO', message: 'while OpenSearch is away' }) });
    expect(res.status).toBe(200);
    const db = new pg.Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    try {
      await eventually(async () => ((await db.query('SELECT count(*)::int AS n FROM logs')).rows[0].n === 1 ? true : undefined), 20_000, 'the event in PostgreSQL');
    } finally {
      await db.end();
    }
    expect(up.output()).toMatch(/store not reachable: its sink worker prepares it once it answers/);
  });
});
