// What one Redis takes as LogFlow's queue: the product's own EventStream appending accepted batches
// (one stream entry each, as ingest writes them) from several clients at once, then one group reading
// and settling them all, as a worker does. Prints events/s, Redis CPU-s per million events (from its
// INFO: the Redis is shared, so run it when little else uses it) and stream memory per event: the
// sizing figures the README gives for one Redis.
//   npx tsx bench/queue.bench.ts [--events 1000000] [--batch 1000] [--clients 8]
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { EventStream } from '../server/queue/stream.ts';
import { enriched, recentEvents } from './pipeline/events.ts';
import { redisCpu } from './pipeline/ceilings.ts';
import { REDIS_URL } from './pipeline/stack.ts';

const { values: flags } = parseArgs({ options: { events: { type: 'string', default: '1000000' }, batch: { type: 'string', default: '1000' }, clients: { type: 'string', default: '8' } } });
const EVENTS = Number(flags.events);
const BATCH = Number(flags.batch);
const CLIENTS = Number(flags.clients);

const namespace = `bench-queue-${process.pid}`;
const ingestTs = new Date().toISOString();
const texts = recentEvents(Math.min(EVENTS, 100_000), 7, 'q').map((e) => JSON.stringify(enriched(e, 1, ingestTs)));
const batches: string[][] = [];
for (let i = 0; i < EVENTS; i += BATCH) {
  const b: string[] = [];
  for (let k = i; k < Math.min(EVENTS, i + BATCH); k++) b.push(texts[k % texts.length]!);
  batches.push(b);
}
const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0) / texts.length;

const admin = new Redis(REDIS_URL);
const clients = Array.from({ length: CLIENTS }, () => new Redis(REDIS_URL));
const streams = clients.map((c) => new EventStream(c, namespace));
try {
  const cpu0 = await redisCpu(admin);
  const t0 = performance.now();
  let next = 0;
  await Promise.all(streams.map(async (s) => {
    while (next < batches.length) await s.appendEncoded(batches[next++]!);
  }));
  const appendSeconds = (performance.now() - t0) / 1000;
  const appendCpu = (await redisCpu(admin)) - cpu0;
  const memory = Number(await admin.call('MEMORY', 'USAGE', `${namespace}:events`, 'SAMPLES', '0'));
  const backlog = await streams[0]!.backlog();

  await streams[0]!.ensureGroup('bench');
  const consumer = streams[0]!.consumer('bench', 'c');
  const cpu1 = await redisCpu(admin);
  const t1 = performance.now();
  let read = 0;
  for (;;) {
    const got = await consumer.next(1000, 0);
    if (!got.length) break;
    read += got.length;
    await consumer.settle(got, []);
  }
  const readSeconds = (performance.now() - t1) / 1000;
  const readCpu = (await redisCpu(admin)) - cpu1;
  consumer.close();

  const perM = (cpu: number) => ((cpu / EVENTS) * 1e6).toFixed(2);
  console.log(`\n${EVENTS.toLocaleString('en')} events of ${bytes.toFixed(0)} bytes as JSON, ${BATCH} a batch, ${CLIENTS} clients appending at once; backlog counted ${backlog.toLocaleString('en')}\n`);
  console.log(`append:        ${Math.round(EVENTS / appendSeconds).toLocaleString('en')} events/s, Redis ${perM(appendCpu)} CPU-s per million events`);
  console.log(`read + settle: ${Math.round(read / readSeconds).toLocaleString('en')} events/s (one consumer, 1000 at a time), Redis ${perM(readCpu)} CPU-s per million events`);
  console.log(`stream memory: ${(memory / EVENTS).toFixed(0)} bytes per event kept (${(memory / 2 ** 20).toFixed(0)} MiB)`);
  console.log(`one Redis core, at these costs per event: about ${Math.round(1e6 / (((appendCpu + readCpu) / EVENTS) * 1e6 * 1e6 / 1e6)).toLocaleString('en')} events/s appended and read by one group (each more sink group adds its read cost)`);
} finally {
  await new EventStream(admin, namespace).destroy();
  for (const c of clients) c.disconnect();
  admin.disconnect();
}
