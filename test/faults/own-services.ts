import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { exited, freePort } from '../cli.ts';
import { eventually } from '../helpers.ts';

// Private instances of the services, for tests that stop and restart them: each on a port and in a
// directory of its own, so the machine's shared Redis, PostgreSQL and OpenSearch are never touched.

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const PG_BIN = process.env.LOGFLOW_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface OwnService {
  url: string;
  /** Stops the service (as an operator or a crash would); start() brings it back with its data. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its data. Safe twice. */
  destroy(): Promise<void>;
}

/** PostgreSQL refuses to run as root: as root, its commands run as the `postgres` user. */
function asPostgres(cmd: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [cmd, args];
  return ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', cmd, ...args]];
}

/** A PostgreSQL cluster of its own (initdb + pg_ctl), trust auth, on 127.0.0.1 and a free port. */
export async function startOwnPostgres(): Promise<OwnService> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'logflow-faults-pg-'));
  if (process.getuid?.() === 0) await chown(dir, Number((await run('id', ['-u', 'postgres'])).stdout), Number((await run('id', ['-g', 'postgres'])).stdout));
  const data = path.join(dir, 'data');
  const port = await freePort();
  await run(...asPostgres(path.join(PG_BIN, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']));
  const pgCtl = (...args: string[]) => run(...asPostgres(path.join(PG_BIN, 'pg_ctl'), ['-D', data, ...args]));
  const service: OwnService = {
    url: `postgres://postgres@127.0.0.1:${port}/logflow`,
    async start() {
      await pgCtl('-l', path.join(dir, 'server.log'), '-w', '-t', '60', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, 'start');
    },
    async stop() {
      await pgCtl('-m', 'fast', '-w', '-t', '60', 'stop');
    },
    async destroy() {
      await service.stop().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
  await service.start();
  return service;
}

/** A Redis of its own with an append-only file fsynced on every write; stop() kills it (SIGKILL). */
export async function startOwnRedis(): Promise<OwnService> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'logflow-faults-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const url = `redis://127.0.0.1:${port}`;
  const service: OwnService = {
    url,
    async start() {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], { stdio: 'ignore' });
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => {});
      try {
        await eventually(async () => {
          if (child?.exitCode !== null) throw new Error('redis-server exited');
          await probe.connect().catch(() => {});
          return (await probe.ping().catch(() => undefined)) === 'PONG' ? true : undefined;
        }, 30_000, 'the private Redis to answer');
      } finally {
        probe.disconnect();
      }
    },
    async stop() {
      if (!child || child.exitCode !== null) return;
      child.kill('SIGKILL');
      await exited(child);
    },
    async destroy() {
      await service.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await service.start();
  return service;
}

/** An OpenSearch of its own, started by scripts/opensearch.sh on a free port (its data kept per port). */
export async function startOwnOpenSearch(): Promise<OwnService> {
  const port = await freePort();
  const env = { ...process.env, OPENSEARCH_PORT: String(port) };
  const script = (command: string) => run('bash', ['scripts/opensearch.sh', command], { cwd: ROOT, env, timeout: 300_000 });
  const service: OwnService = {
    url: `http://127.0.0.1:${port}`,
    start: async () => void (await script('start')),
    stop: async () => void (await script('stop')),
    async destroy() {
      await service.stop().catch(() => {});
      const cache = process.env.OPENSEARCH_CACHE_DIR ?? path.join(os.homedir(), '.cache/logflow');
      await rm(path.join(cache, `opensearch-data-${port}`), { recursive: true, force: true });
    },
  };
  await service.start();
  return service;
}
