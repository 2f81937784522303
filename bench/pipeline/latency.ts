// Stage 3, ship → searchable: a real `logflow ship` reads stdin fed at a steady rate, through a server
// and a worker with every sink on; marker events among the lines are looked for with GET /search on
// two servers over the same stores (one searching OpenSearch, one PostgreSQL) until each is found.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { connect, groupBacklog } from './backlog.ts';
import { countDocs } from './ceilings.ts';
import { EventGenerator } from './events.ts';
import { percentile } from './http-load.ts';
import { cpuSecondsOf, MachineLoad } from './proc.ts';
import { fmt, type Report } from './report.ts';
import { BenchStack, pgClient, uniqueName, type LogflowProcess } from './stack.ts';

const SINKS = ['opensearch', 'postgres', 'file'];
const POLL_MS = 100;

export interface LatencyOptions {
  seconds: number;
  rate: number;
}

/** A line as a Node service writes it with pino: time, level, msg, the ids, the rest of its fields. */
function line(g: EventGenerator, ms: number): string {
  const e = g.next(ms);
  return JSON.stringify({ time: e.timestamp, level: e.level.toLowerCase(), msg: e.message, trace_id: e.trace_id, request_id: e.request_id, host: e.host, env: e.env, ...e.metadata });
}

interface Feed {
  lines: number;
  seconds: number;
  markers: Map<number, number>;
}

/** Writes `rate` lines a second for `seconds`, a marker every `every` lines; when each marker was written. */
async function feed(stdin: Writable, o: LatencyOptions, word: string, every: number): Promise<Feed> {
  const g = new EventGenerator(33, 'l');
  const total = o.seconds * o.rate;
  const markers = new Map<number, number>();
  const t0 = performance.now();
  let written = 0;
  while (written < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * o.rate));
    let chunk = '';
    for (; written < due; written++) {
      if (written % every === every - 1) {
        const k = markers.size;
        chunk += JSON.stringify({ time: new Date().toISOString(), level: 'info', msg: `latency marker ${word} ${k}` }) + '\n';
        markers.set(k, performance.now());
      } else {
        chunk += line(g, Date.now()) + '\n';
      }
    }
    if (chunk && !stdin.write(chunk)) await new Promise((r) => stdin.once('drain', r));
    await new Promise((r) => setTimeout(r, 10));
  }
  stdin.end();
  return { lines: written, seconds: (performance.now() - t0) / 1000, markers };
}

/** Polls one server for the markers until every one was seen or the time is up; when each was first returned. */
async function watch(url: string, apiKey: string, word: string, expected: () => number, until: () => boolean, deadline: number): Promise<Map<number, number>> {
  const seen = new Map<number, number>();
  while (performance.now() < deadline) {
    const r = await fetch(`${url}/search?q=${word}&limit=1000`, { headers: { 'x-api-key': apiKey } }).catch(() => undefined);
    const at = performance.now();
    if (r?.ok) {
      const { hits } = (await r.json()) as { hits: { message: string }[] };
      for (const h of hits) {
        const k = Number(h.message.split(' ').at(-1));
        if (!seen.has(k)) seen.set(k, at);
      }
    }
    if (until() && seen.size >= expected()) break;
    await new Promise((res) => setTimeout(res, POLL_MS));
  }
  return seen;
}

export async function latencyStage(o: LatencyOptions, report: Report, track: (s: BenchStack) => void): Promise<void> {
  const section = report.section(`ship \u2192 searchable: \`logflow ship\` fed ${fmt(o.rate)} lines/s for ${o.seconds} s, every sink on (${SINKS.join(', ')})`);
  const stack = await BenchStack.create({ opensearch: true });
  track(stack);
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'logflow-bench-ship-state-'));
  const redis = connect();
  try {
    await stack.migrate(SINKS.join(','));
    const project = await stack.createProject('bench');
    const viaOpenSearch = await stack.server();
    const viaPostgres = await stack.server({ OPENSEARCH_URL: '' });
    const worker = stack.worker(SINKS.join(','));
    const ship = stack.start(['ship', '--service', 'latency', '--state-dir', stateDir, '--quiet'], { LOGFLOW_URL: viaOpenSearch.url, LOGFLOW_API_KEY: project.key }, 'pipe');
    const word = uniqueName('mk');
    const every = Math.max(Math.floor(o.rate / 2), Math.ceil((o.seconds * o.rate) / 500));
    const load = new MachineLoad(() => [viaOpenSearch.process.pid, viaPostgres.process.pid, worker.pid, ship.pid]);
    let fed: Feed | undefined;
    const feeding = feed(ship.child.stdin!, o, word, every).then((f) => (fed = f));
    const deadline = performance.now() + (o.seconds + 300) * 1000;
    const expected = () => fed?.markers.size ?? Infinity;
    const [seenOs, seenPg] = await Promise.all([watch(viaOpenSearch.url, project.key, word, expected, () => !!fed, deadline), watch(viaPostgres.url, project.key, word, expected, () => !!fed, deadline), feeding]);
    const cpu = (p: LogflowProcess) => cpuSecondsOf(p.pid) ?? NaN;
    const cpus = { server: cpu(viaOpenSearch.process), worker: cpu(worker) };
    section.load!.push({ label: 'while fed', window: load.stop() });
    const shipExit = await ship.exited;
    const f = fed!;
    for (const [name, seen] of [['OpenSearch', seenOs], ['PostgreSQL', seenPg]] as const) {
      const latencies = [...f.markers].filter(([k]) => seen.has(k)).map(([k, at]) => seen.get(k)! - at);
      const late = [...f.markers.keys()].sort((a, b) => a - b);
      const first = seen.has(late[0]!) ? seen.get(late[0]!)! - f.markers.get(late[0]!)! : NaN;
      const last = seen.has(late.at(-1)!) ? seen.get(late.at(-1)!)! - f.markers.get(late.at(-1)!)! : NaN;
      section.rows.push({
        what: `searchable in ${name}`,
        figure: `p50 ${fmt(percentile(latencies, 50) / 1000, 2)} s, p99 ${fmt(percentile(latencies, 99) / 1000, 2)} s`,
        note: `${latencies.length} of ${f.markers.size} markers found; first marker ${fmt(first / 1000, 2)} s, last ${fmt(last / 1000, 2)} s, max ${fmt(Math.max(...latencies) / 1000, 2)} s (polled every ${POLL_MS} ms)`,
      });
    }
    const drained = await waitDrained(redis, stack.namespace);
    const events = f.lines;
    section.rows.push({ what: 'fed', figure: `${fmt(events / f.seconds)} lines/s for ${fmt(f.seconds, 1)} s`, note: `${fmt(events)} lines (${f.markers.size} markers); logflow ship exited ${shipExit}` });
    const stored = await storedCounts(stack);
    section.rows.push({ what: 'stored', figure: `PostgreSQL ${fmt(stored.postgres)}, OpenSearch ${fmt(stored.opensearch)} of ${fmt(events)}`, note: drained ? 'every sink drained its backlog' : `NOT DRAINED within the time: ${drained}` });
    section.notes.push(`a marker's time runs from the moment its line was written to ship's stdin to the first GET /search answer holding it; search from OpenSearch includes its 1 s refresh interval`);
    section.notes.push(`CPU of the run: server ${fmt(cpus.server, 1)} s, worker ${fmt(cpus.worker, 1)} s (start-up included)`);
  } finally {
    redis.disconnect();
    await stack.destroy();
    await rm(stateDir, { recursive: true, force: true });
  }
}

/** True when every sink's group has written everything, within two minutes; what is left otherwise. */
async function waitDrained(redis: ReturnType<typeof connect>, namespace: string): Promise<true | string> {
  const until = performance.now() + 120_000;
  let left: (number | undefined)[] = [];
  while (performance.now() < until) {
    left = await Promise.all(SINKS.map((s) => groupBacklog(redis, namespace, s, 1)));
    if (left.every((n) => n === 0)) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return SINKS.map((s, i) => `${s} ${left[i] ?? '?'} events left (pending entries counted as one)`).join(', ');
}

async function storedCounts(stack: BenchStack): Promise<{ postgres: number; opensearch: number }> {
  const c = await pgClient(stack.database);
  try {
    const postgres = Number((await c.query("SELECT count(*) AS n FROM logs WHERE service = 'latency'")).rows[0].n);
    return { postgres, opensearch: await countDocs(stack.namespace) };
  } finally {
    await c.end();
  }
}
