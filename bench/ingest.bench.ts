// POST /logs alone, run as a user runs it: a real `logflow server` on a Redis of its own (started here,
// nothing on disk), fed gzip NDJSON batches as `logflow ship` sends them, prepared before the clock
// starts so that only the server's work is counted. Measured from outside, in /proc: the server
// process's CPU seconds (every thread: gunzip runs on libuv's pool) per million events accepted.
//   npx tsx bench/ingest.bench.ts                        # this checkout
//   npx tsx bench/ingest.bench.ts --compare HEAD~5       # and another commit, runs taken in turn
//   npx tsx bench/ingest.bench.ts --shape fluent-bit     # Fluent Bit's `http` output (json): [{"date":…,"log":"…"}]
//   npx tsx bench/ingest.bench.ts --profile              # and where this checkout's server spends its main thread
// It reports; it never fails on a missed target (a benchmark, not a test). Issue 11 asks ≤ 6 CPU-s per
// million events for the whole ingest path; `npm run bench:pipeline` will measure it with the worker.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { printProfile, summarizeProfile } from './cpu-profile.ts';

const CEILING = 'Issue 11 target for the ingest path: ≤ 6 CPU-s per million events (measured before it: ~26-38).';
const { values: flags } = parseArgs({ options: { events: { type: 'string', default: '200000' }, runs: { type: 'string', default: '3' }, batch: { type: 'string', default: '1000' }, compare: { type: 'string' }, shape: { type: 'string', default: 'ship' }, profile: { type: 'boolean', default: false } } });
const EVENTS = Number(flags.events);
const BATCH = Number(flags.batch);
const RUNS = Math.max(1, Number(flags.runs));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PG_ADMIN = process.env.LOGFLOW_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const scratch = mkdtempSync(path.join(os.tmpdir(), 'logflow-bench-ingest-'));
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** Events as `logflow ship` writes them for a pino JSON line and a text line, in turn. */
function shipEvent(i: number): string {
  const base = `{"event_id":"f1a2b3:${i * 97}","timestamp":"${new Date(Date.parse('2026-11-01T00:00:00Z') + i).toISOString()}","service":"bench"`;
  return i % 2 === 0
    ? `${base},"level":"INFO","message":"request handled in ${i % 300} ms","host":"web-1","metadata":{"pid":4242,"req":{"method":"GET","url":"/api/v1/orders/${i}"},"user":${i % 1000}}}`
    : `${base},"level":"ERROR","message":"2026-11-01T00:00:00.000Z ERROR payment failed for order ${i}: card declined","host":"web-1"}`;
}

/** Fluent Bit's `http` output, format json: its `date` and the raw line it read in `log`. */
function fluentBitRecord(i: number): string {
  const line = i % 2 === 0 ? `{"level":30,"time":${1796109439488 + i},"pid":4242,"hostname":"web-1","msg":"request handled in ${i % 300} ms"}` : `2026-11-01T00:00:00.000Z ERROR payment failed for order ${i}: card declined`;
  return `{"date":${(1796109439.488405 + i / 1000).toFixed(6)},"log":${JSON.stringify(line)}}`;
}

function bodies(): { bodies: Buffer[]; events: number; contentType: string; query: string } {
  const out: Buffer[] = [];
  for (let start = 0; start < EVENTS; start += BATCH) {
    const n = Math.min(BATCH, EVENTS - start);
    const items = Array.from({ length: n }, (_, k) => (flags.shape === 'ship' ? shipEvent(start + k) : fluentBitRecord(start + k)));
    out.push(gzipSync(flags.shape === 'ship' ? `${items.join('\n')}\n` : `[${items.join(',')}]`, { level: 1 }));
  }
  return flags.shape === 'ship' ? { bodies: out, events: EVENTS, contentType: 'application/x-ndjson', query: '' } : { bodies: out, events: EVENTS, contentType: 'application/json', query: '?service=bench' };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** CPU seconds a process has used so far, all threads, from /proc/PID/stat. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

interface Build {
  name: string;
  root: string;
}

function cli(build: Build, args: string[], env: NodeJS.ProcessEnv): string {
  return execFileSync(process.execPath, [path.join(build.root, 'cli', 'logflow.mjs'), ...args], { env, cwd: build.root, encoding: 'utf8' });
}

/** One server of `build` with its own database; measures one pass of every body through it. */
async function measure(build: Build, load: ReturnType<typeof bodies>, redisUrl: string, profileDir?: string): Promise<{ cpu: number; wall: number; accepted: number }> {
  const dbName = `logflow_bench_${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const dbUrl = new URL(PG_ADMIN);
  dbUrl.pathname = `/${dbName}`;
  const port = await freePort();
  const namespace = `bench${Date.now().toString(36)}`;
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, REDIS_URL: redisUrl, DATABASE_URL: dbUrl.toString(), LOGFLOW_NAMESPACE: namespace, LOGFLOW_PORT: String(port), LOGFLOW_SINKS: 'postgres', LOGFLOW_LOG_LEVEL: 'warn', LOGFLOW_MAX_BACKLOG: String(10 * EVENTS) };
  let server: ChildProcess | undefined;
  try {
    cli(build, ['migrate'], env);
    const key = (JSON.parse(cli(build, ['projects', 'create', 'bench', '--json'], env)) as { api_key: string }).api_key;
    // Limits far above what one server takes, so they cost what they cost and never refuse; a build
    // from before per-project limits has no `projects set`.
    try {
      const limits = ['--ingestion-events-rate', '1000000000', '--ingestion-events-burst', '1000000000', '--ingestion-rate', '1000GiB', '--ingestion-burst-size', '1000GiB'];
      execFileSync(process.execPath, [path.join(build.root, 'cli', 'logflow.mjs'), 'projects', 'set', 'bench', ...limits], { env, cwd: build.root, stdio: 'ignore' });
    } catch {
      // no per-project limits in this build
    }
    const nodeFlags = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
    server = spawn(process.execPath, [...nodeFlags, path.join(build.root, 'cli', 'logflow.mjs'), 'server'], { env, cwd: build.root, stdio: ['ignore', 'ignore', 'ignore'] });
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
      if (ok) break;
      if (i > 200) throw new Error(`${build.name}: the server did not answer /healthz`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    const post = (body: Buffer) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = http.request(`${url}/logs${load.query}`, { method: 'POST', agent, headers: { 'x-api-key': key, 'content-type': load.contentType, 'content-encoding': 'gzip', 'content-length': body.length } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        });
        req.on('error', reject);
        req.end(body);
      });
    await post(load.bodies[0]!); // warm: the key check, the connection, the first compile of the hot path
    const cpuBefore = cpuSeconds(server.pid!);
    const started = performance.now();
    let next = 1;
    let accepted = 0;
    const lane = async () => {
      while (next < load.bodies.length) {
        const r = await post(load.bodies[next++]!);
        if (r.status >= 300 && r.status !== 400) throw new Error(`${build.name}: POST /logs answered ${r.status}: ${r.text.slice(0, 300)}`);
        accepted += (JSON.parse(r.text) as { accepted?: number }).accepted ?? 0;
      }
    };
    await Promise.all([lane(), lane()]);
    const wall = (performance.now() - started) / 1000;
    const cpu = cpuSeconds(server.pid!) - cpuBefore;
    agent.destroy();
    return { cpu, wall, accepted };
  } finally {
    server?.kill('SIGTERM');
    if (server) await new Promise((r) => server!.once('exit', r));
    execFileSync('redis-cli', ['-u', redisUrl, 'del', `${namespace}:events`], { stdio: 'ignore' });
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  }
}

async function main(): Promise<void> {
  const redisPort = await freePort();
  const redisDir = path.join(scratch, 'redis');
  execFileSync('mkdir', ['-p', redisDir]);
  const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', redisDir], { stdio: 'ignore' });
  const builds: Build[] = [{ name: 'this checkout', root: ROOT }];
  try {
    await new Promise((r) => setTimeout(r, 300));
    if (flags.compare) {
      const dir = path.join(scratch, 'compare');
      execFileSync('mkdir', ['-p', dir]);
      // An export of the commit, not a worktree: nothing of this repository's git state changes.
      execFileSync('sh', ['-c', `git archive ${flags.compare} | tar -x -C ${dir}`], { cwd: ROOT });
      symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
      builds.push({ name: flags.compare, root: dir });
    }
    for (const b of builds) execFileSync(process.execPath, [path.join(b.root, 'scripts', 'build.mjs')], { cwd: b.root, stdio: 'inherit' });
    const load = bodies();
    const results = new Map<Build, { cpu: number; wall: number; accepted: number }[]>(builds.map((b) => [b, []]));
    for (let i = 0; i < RUNS; i++) for (const b of builds) results.get(b)!.push(await measure(b, load, `redis://127.0.0.1:${redisPort}`));
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(`\nPOST /logs, ${fmt(load.events)} events in gzip batches of ${BATCH} (${flags.shape} shape), 2 requests in flight, ${RUNS} run(s) of each build taken in turn (medians)\n`);
    const width = Math.max(...builds.map((b) => b.name.length));
    console.log(`${''.padEnd(width)}  ${'events/s'.padStart(9)}  ${'server CPU-s/M'.padStart(14)}  accepted`);
    for (const b of builds) {
      const rs = results.get(b)!;
      const perMillion = median(rs.map((r) => r.cpu / ((r.accepted || 1) / 1e6)));
      console.log(`${b.name.padEnd(width)}  ${fmt(median(rs.map((r) => r.accepted / r.wall))).padStart(9)}  ${fmt(perMillion, 2).padStart(14)}  ${fmt(median(rs.map((r) => r.accepted)))} of ${fmt(load.events - BATCH)}`);
    }
    console.log(`\n${CEILING}`);
    if (flags.profile) {
      const dir = path.join(scratch, 'profile');
      await measure(builds[0]!, load, `redis://127.0.0.1:${redisPort}`, dir);
      const file = execFileSync('sh', ['-c', `ls -S ${dir}/*.cpuprofile | head -1`], { encoding: 'utf8' }).trim();
      console.log(`\nprofile of this checkout's server (--cpu-prof, main thread, start-up included):`);
      printProfile(summarizeProfile(file, 25));
    }
  } finally {
    redis.kill('SIGTERM');
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
