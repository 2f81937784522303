// How fast the worker moves a backlog into its stores, each sink in its own group.
//   npx tsx bench/worker.bench.ts [events=100000] [sinks=opensearch,postgres,file]
// LOGFLOW_WORKER_BATCH and LOGFLOW_WORKER_IN_FLIGHT in the environment are passed to the worker.
// Appends the events to a fresh namespace on the machine's Redis, starts the worker in this process
// and times each sink until it has written them all. There is no target yet: it is compared with
// another build run the same way in the same sitting (a checkout of the commit, this file copied in).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { loadSettings } from '../shared/config.ts';
import type { LogEvent } from '../shared/event.ts';
import { createLogger } from '../shared/logger.ts';
import { ProjectStore } from '../server/auth/projects.ts';
import { openPool } from '../server/db.ts';
import { migrate } from '../server/migrate.ts';
import { EventStream } from '../server/queue/stream.ts';
import { Worker } from '../server/worker/worker.ts';
import { createTestDatabase, dropOpenSearchNamespace, OPENSEARCH_URL, REDIS_URL, uniqueName } from '../test/helpers.ts';

const EVENTS = Number(process.argv[2] ?? 100_000);
const SINKS = process.argv[3] ?? 'opensearch,postgres,file';

const db = await createTestDatabase();
const dir = await mkdtemp(path.join(os.tmpdir(), 'logflow-bench-worker-'));
const namespace = uniqueName('bw');
const settings = loadSettings({ REDIS_URL, DATABASE_URL: db.url, OPENSEARCH_URL, LOGFLOW_NAMESPACE: namespace, LOGFLOW_FILE_DIR: dir, LOGFLOW_SINKS: SINKS, LOGFLOW_WORKER_BATCH: process.env.LOGFLOW_WORKER_BATCH, LOGFLOW_WORKER_IN_FLIGHT: process.env.LOGFLOW_WORKER_IN_FLIGHT });
const log = createLogger('warn');
const redis = new Redis(REDIS_URL);
try {
  await migrate(settings, log);
  const pool = openPool(db.url);
  const projectId = (await new ProjectStore(pool).create('bench')).project.id;
  await pool.end();
  const stream = new EventStream(redis, namespace);
  const now = Date.now();
  for (let i = 0; i < EVENTS; i += 1000) {
    const batch: LogEvent[] = Array.from({ length: Math.min(1000, EVENTS - i) }, (_, n) => ({
      event_id: `b${i + n}`,
      project_id: projectId,
      timestamp: new Date(now - (EVENTS - i - n)).toISOString(),
      ingest_ts: new Date(now).toISOString(),
      service: ['api', 'billing', 'worker'][(i + n) % 3]!,
      level: (i + n) % 10 === 0 ? 'ERROR' : 'INFO',
      message: `request ${i + n} handled in ${(i + n) % 300} ms for user ${(i + n) % 977}`,
      host: 'web-1',
      metadata: { route: '/api/orders', status: 200, attempt: (i + n) % 3 },
    }));
    await stream.append(batch);
  }
  const worker = new Worker({ settings, log });
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  await worker.start();
  const done = new Map<string, number>();
  while (done.size < worker.sinks.length) {
    await new Promise((r) => setTimeout(r, 50));
    for (const [sink, s] of Object.entries(worker.stats())) {
      if (!done.has(sink) && s.written + s.deadLettered >= EVENTS) done.set(sink, Number(process.hrtime.bigint() - start) / 1e9);
    }
  }
  const cpu = process.cpuUsage(cpuStart);
  await worker.close();
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(`worker: ${fmt(EVENTS)} events already in the stream, sinks ${SINKS}`);
  for (const [sink, s] of done) console.log(`  ${sink.padEnd(11)} ${fmt(EVENTS / s).padStart(8)} events/s  (all written after ${s.toFixed(2)} s)`);
  console.log(`  worker process CPU: ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s (${(((cpu.user + cpu.system) / 1e6 / EVENTS) * 1e6).toFixed(1)} µs per event, every sink together)`);
} finally {
  await redis.del(`${namespace}:events`, `${namespace}:dead-letter`);
  redis.disconnect();
  await dropOpenSearchNamespace(namespace);
  await db.drop();
  await rm(dir, { recursive: true, force: true });
}
