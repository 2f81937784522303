// A LogFlow installation of the bench's own: a database, a Redis namespace, OpenSearch indices and a
// file directory that nobody else uses, and `logflow` processes started as a user starts them (the
// `cli/logflow` command). destroy() stops them and removes everything it made.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { indexPattern, templateName } from '../../server/stores/opensearch/mapping.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LOGFLOW = path.join(ROOT, 'cli', 'logflow');

// The services the bench talks to: the same variables LogFlow reads, local defaults.
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const OPENSEARCH_URL = process.env.OPENSEARCH_URL ?? 'http://127.0.0.1:9200';
const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function databaseUrl(name: string): string {
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export function uniqueName(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

// A connection cut by the server (a database dropped WITH (FORCE), someone's pg_terminate_backend)
// fails the query it runs; with no query running it must not crash the bench as an unhandled 'error'.
export function pgPool(database: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl(database), max });
  pool.on('error', () => {});
  return pool;
}

export async function pgClient(database: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: databaseUrl(database) });
  c.on('error', () => {});
  await c.connect();
  return c;
}

export async function adminQuery(sql: string): Promise<void> {
  const c = await pgClient('postgres');
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

export async function dropDatabase(name: string): Promise<void> {
  await adminQuery(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
}

/** Removes a namespace's Redis keys, whatever they are called under it. */
export async function dropRedisNamespace(namespace: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export async function dropOpenSearchNamespace(namespace: string): Promise<void> {
  await fetch(`${OPENSEARCH_URL}/${indexPattern(namespace)}?expand_wildcards=all`, { method: 'DELETE' }).catch(() => {});
  await fetch(`${OPENSEARCH_URL}/_index_template/${templateName(namespace)}`, { method: 'DELETE' }).catch(() => {});
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

// What the caller's shell says about LogFlow would be refused or would change what is measured.
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LOGFLOW_') && !['REDIS_URL', 'DATABASE_URL', 'OPENSEARCH_URL'].includes(k)));

export class LogflowProcess {
  private out = '';
  readonly exited: Promise<number | null>;

  constructor(
    readonly child: ChildProcess,
    readonly what: string,
  ) {
    const keep = (b: Buffer) => (this.out = (this.out + b.toString()).slice(-20_000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = once(child, 'exit').then(([code]) => code as number | null);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  output(): string {
    return this.out;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 40_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** One installation; `opensearch` says whether its processes get OPENSEARCH_URL. */
export class BenchStack {
  readonly processes: LogflowProcess[] = [];
  private constructor(
    readonly database: string,
    readonly namespace: string,
    readonly fileDir: string,
    readonly opensearch: boolean,
    /** A kept installation (the search data set): destroy() stops its processes and leaves its data. */
    readonly keep: boolean,
  ) {}

  static async create(o: { opensearch: boolean; database?: string; namespace?: string; keep?: boolean }): Promise<BenchStack> {
    const database = o.database ?? uniqueName('logflow_bench_');
    const fileDir = await mkdtemp(path.join(os.tmpdir(), 'logflow-bench-files-'));
    return new BenchStack(database, o.namespace ?? uniqueName('bench'), fileDir, o.opensearch, o.keep ?? false);
  }

  get databaseUrl(): string {
    return databaseUrl(this.database);
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      ...baseEnv,
      REDIS_URL,
      DATABASE_URL: this.databaseUrl,
      LOGFLOW_NAMESPACE: this.namespace,
      LOGFLOW_FILE_DIR: this.fileDir,
      LOGFLOW_LOG_LEVEL: 'warn',
      // The bench fills the stream on purpose: backpressure would measure the limit, not the path.
      LOGFLOW_MAX_BACKLOG: '1000000000',
      // Nor the per-project limits (20,000 events/s by default), which a faster ingest runs into: set
      // out of reach, so the limiter still does its work per request, as bench/ingest.bench.ts does.
      LOGFLOW_INGESTION_EVENTS_RATE: '1000000000',
      LOGFLOW_INGESTION_EVENTS_BURST: '1000000000',
      LOGFLOW_INGESTION_RATE: '1000GiB',
      LOGFLOW_INGESTION_BURST_SIZE: '1000GiB',
      ...(this.opensearch ? { OPENSEARCH_URL } : {}),
      ...extra,
    };
  }

  /** Runs a `logflow` command to its end; throws with its output when it fails. */
  async run(args: string[], extra: Record<string, string> = {}): Promise<string> {
    const p = this.start(args, extra);
    const code = await p.exited;
    if (code !== 0) throw new Error(`logflow ${args.join(' ')} exited ${code}: ${p.output().trim().slice(-2000)}`);
    return p.output();
  }

  start(args: string[], extra: Record<string, string> = {}, stdin: 'ignore' | 'pipe' = 'ignore'): LogflowProcess {
    const child = spawn(LOGFLOW, args, { env: this.env(extra), stdio: [stdin, 'pipe', 'pipe'], cwd: ROOT });
    const p = new LogflowProcess(child, `logflow ${args[0]}`);
    this.processes.push(p);
    return p;
  }

  async migrate(sinks: string): Promise<void> {
    await this.run(['migrate'], { LOGFLOW_SINKS: sinks });
  }

  async createProject(name: string): Promise<{ id: number; key: string }> {
    const out = await this.run(['projects', 'create', name, '--json']);
    const p = JSON.parse(out.trim().split('\n').at(-1)!) as { id: number; api_key: string };
    return { id: p.id, key: p.api_key };
  }

  /** `logflow server` on a free port, once it answers /healthz. */
  async server(extra: Record<string, string> = {}): Promise<{ process: LogflowProcess; url: string }> {
    const port = await freePort();
    const p = this.start(['server'], { LOGFLOW_PORT: String(port), ...extra });
    const url = `http://127.0.0.1:${port}`;
    for (const started = Date.now(); ; ) {
      if (!p.running) throw new Error(`logflow server exited: ${p.output().slice(-2000)}`);
      const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
      if (ok) return { process: p, url };
      if (Date.now() - started > 60_000) throw new Error(`logflow server did not answer /healthz within 60 s: ${p.output().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  worker(sinks: string, consumer?: string): LogflowProcess {
    return this.start(['worker', '--sinks', sinks, ...(consumer ? ['--consumer', consumer] : [])]);
  }

  async stopProcesses(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop()));
  }

  /** Stops its processes and removes its database, keys, indices and files (unless it is kept). */
  async destroy(): Promise<void> {
    await this.stopProcesses();
    await rm(this.fileDir, { recursive: true, force: true });
    if (this.keep) return;
    await dropRedisNamespace(this.namespace).catch(() => {});
    if (this.opensearch) await dropOpenSearchNamespace(this.namespace);
    await dropDatabase(this.database).catch(() => {});
  }
}
