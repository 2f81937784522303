import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './cli.ts';
import { createTestDatabase, dropOpenSearchNamespace, OPENSEARCH_URL, REDIS_URL, uniqueName } from './helpers.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

/** `npm run demo` as a newcomer runs it, in a database, namespace, port and home of its own. */
async function runDemo(extra: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  const db = await createTestDatabase();
  const namespace = uniqueName('tdemo');
  const home = await mkdtemp(path.join(os.tmpdir(), 'logflow-demo-'));
  cleanups.push(db.drop, () => rm(home, { recursive: true, force: true }), async () => {
    const redis = new Redis(REDIS_URL);
    await redis.del(`${namespace}:events`, `${namespace}:dead-letter`);
    redis.disconnect();
  });
  if (extra.OPENSEARCH_URL) cleanups.push(() => dropOpenSearchNamespace(namespace));
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    TMPDIR: home,
    REDIS_URL,
    DATABASE_URL: db.url,
    LOGFLOW_NAMESPACE: namespace,
    LOGFLOW_PORT: String(await freePort()),
    LOGFLOW_FILE_DIR: path.join(home, 'logs'),
    LOGFLOW_LOG_LEVEL: 'warn',
    ...extra,
  };
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['scripts/demo.sh'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => out.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output: Buffer.concat(out).toString() }));
  });
}

/** A PATH like this machine's, without Maven: what a machine that cannot fetch OpenSearch has. */
async function pathWithout(...names: string[]): Promise<string> {
  const bin = await mkdtemp(path.join(os.tmpdir(), 'logflow-bin-'));
  cleanups.push(() => rm(bin, { recursive: true, force: true }));
  await mkdir(bin, { recursive: true });
  for (const dir of ['/usr/local/bin', '/usr/bin']) {
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (names.includes(name)) continue;
      await symlink(path.join(dir, name), path.join(bin, name)).catch(() => {}); // the first of a name wins
    }
  }
  return bin;
}

describe('when a newcomer runs the demo', () => {
  it('does ship and find the sample logs on an OpenSearch that has never seen the namespace', async () => {
    const r = await runDemo({ OPENSEARCH_URL });
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain('search from OpenSearch at');
    expect(r.output).toMatch(/==> 3000 events searchable/);
  });

  it('does say in one line why there is no OpenSearch, and run with search served from PostgreSQL', async () => {
    const cache = path.join(os.tmpdir(), uniqueName('oscache'));
    cleanups.push(() => rm(cache, { recursive: true, force: true }));
    const r = await runDemo({ PATH: await pathWithout('mvn'), OPENSEARCH_PORT: String(await freePort()), OPENSEARCH_CACHE_DIR: cache });
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/==> no OpenSearch \(OpenSearch [\d.]+ is not downloaded yet and Maven \(mvn\) is not installed to fetch it: install maven, or set OPENSEARCH_URL to a running OpenSearch\): search is served from PostgreSQL\n/);
    expect(r.output).toContain('search from PostgreSQL');
    expect(r.output).toMatch(/==> 3000 events searchable/);
  });
});
