import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort, runCli, startCli, stop } from './cli.ts';
import { createTestDatabase, dropOpenSearchNamespace, dropRedisNamespace, eventually, OPENSEARCH_URL, REDIS_URL, uniqueName } from './helpers.ts';

export interface Stack {
  env: NodeJS.ProcessEnv;
  url: string;
  namespace: string;
  databaseUrl: string;
  fileDir: string;
  stateDir: string;
  createProject(name: string): Promise<string>;
  startWorker(extra?: NodeJS.ProcessEnv): ReturnType<typeof startCli>;
  /** Starts `logflow server` (again) and waits until it answers. */
  startServer(): Promise<void>;
  worker?: ReturnType<typeof startCli>;
  server?: ReturnType<typeof startCli>;
  destroy(): Promise<void>;
}

/**
 * A whole LogFlow of its own for one test file: its own database, Redis namespace, OpenSearch indices
 * and file directory, a `logflow server` and a `logflow worker` run as a user runs them. destroy()
 * stops the processes and removes everything.
 */
export async function startStack(o: { opensearch: boolean; workerEnv?: NodeJS.ProcessEnv; serverEnv?: NodeJS.ProcessEnv }): Promise<Stack> {
  const db = await createTestDatabase();
  const namespace = uniqueName('t');
  const fileDir = await mkdtemp(path.join(os.tmpdir(), 'logflow-files-'));
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'logflow-state-'));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    REDIS_URL,
    DATABASE_URL: db.url,
    LOGFLOW_NAMESPACE: namespace,
    LOGFLOW_FILE_DIR: fileDir,
    LOGFLOW_PORT: String(port),
    LOGFLOW_URL: `http://127.0.0.1:${port}`,
    LOGFLOW_LOG_LEVEL: 'warn',
    LOGFLOW_STATE_DIR: stateDir,
    // Tests send events of fixed dates (2026-11-01, ...): they must stay searchable whatever day the
    // suite runs. Retention's own tests set theirs.
    LOGFLOW_RETENTION_DAYS: '36500',
    ...(o.opensearch ? { OPENSEARCH_URL } : {}),
  };
  const migrated = await runCli(['migrate'], env);
  if (migrated.code !== 0) throw new Error(`migrate failed: ${migrated.stderr}`);

  const stack: Stack = {
    env,
    url: env.LOGFLOW_URL!,
    namespace,
    databaseUrl: db.url,
    fileDir,
    stateDir,
    async createProject(name) {
      const r = await runCli(['projects', 'create', name, '--json'], env);
      if (r.code !== 0) throw new Error(`projects create failed: ${r.stderr}`);
      return (JSON.parse(r.stdout) as { api_key: string }).api_key;
    },
    startWorker(extra = {}) {
      stack.worker = startCli(['worker'], { ...env, ...o.workerEnv, ...extra });
      return stack.worker;
    },
    async startServer() {
      stack.server = startCli(['server'], { ...env, ...o.serverEnv });
      await eventually(async () => {
        if (stack.server!.exitCode !== null) throw new Error(`server exited: ${stack.server!.output()}`);
        const r = await fetch(`${stack.url}/healthz`).catch(() => undefined);
        return r?.ok ? true : undefined;
      }, 60_000, 'the server to answer /healthz');
    },
    async destroy() {
      await stop(stack.server);
      await stop(stack.worker);
      const redis = new Redis(REDIS_URL);
      await dropRedisNamespace(redis, namespace);
      redis.disconnect();
      if (o.opensearch) await dropOpenSearchNamespace(namespace);
      await db.drop();
      await rm(fileDir, { recursive: true, force: true });
      await rm(stateDir, { recursive: true, force: true });
    },
  };
  stack.startWorker();
  await stack.startServer();
  return stack;
}
