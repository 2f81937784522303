// Stage 1, ingest: a real `logflow server` taking gzip requests of 1000 events, 8 in flight, alone
// and with a `logflow worker` draining beside it; its CPU from its own /proc counters. Beside it the
// raw ceiling, Redis XADD pipelined with the same stream entries, and the OTLP and `_bulk`
// endpoints (issue 9) where this build has them.
import http from 'node:http';
import type { LogEvent } from '../../shared/event.ts';
import { connect, groupBacklog } from './backlog.ts';
import { bestOfTwo, redisCpu, xaddCeiling, type Ceiling } from './ceilings.ts';
import { enriched, recentEvents, type ClientEvent } from './events.ts';
import { percentile, post, sendAll, type Body, type LoadResult } from './http-load.ts';
import { bodies, endpoint, PROTOCOLS, type Protocol } from './ingest-bodies.ts';
import { cpuSecondsOf, MachineLoad } from './proc.ts';
import { fmt, verdict, type Report } from './report.ts';
import { BenchStack, dropRedisNamespace, uniqueName } from './stack.ts';

const TARGET = { perSecond: 150_000, cpuPerMillion: 6 };
const CONCURRENCY = 8;

export interface IngestOptions {
  events: number;
  /** Sinks of the worker that runs beside the server in the second run. */
  workerSinks: string;
}

interface Run {
  protocol: Protocol;
  withWorker: boolean;
}

type Outcome =
  | { available: true; load: LoadResult; serverCpu: number; redisCpu: number; workerCpu?: number; backlogLeft?: number }
  | { available: false; why: string };

export async function ingestStage(o: IngestOptions, report: Report, track: (s: BenchStack) => void): Promise<void> {
  const section = report.section(`ingest: ${fmt(o.events)} events, gzip, 1000 a request, ${CONCURRENCY} in flight`);
  const stack = await BenchStack.create({ opensearch: false });
  track(stack);
  try {
    await stack.migrate(o.workerSinks);
    const project = await stack.createProject('bench');
    const warmup = Math.min(20, Math.max(3, Math.ceil(o.events / 10_000)));
    const events = recentEvents(o.events + warmup * 1000, 11, 'i');
    const runs: Run[] = [
      { protocol: 'logs', withWorker: false },
      { protocol: 'logs', withWorker: true },
      { protocol: 'otlp', withWorker: false },
      { protocol: 'bulk', withWorker: false },
    ];
    const ingestTs = new Date().toISOString();
    const entries = events.slice(warmup).map((e: ClientEvent): LogEvent => enriched(e, project.id, ingestTs));
    const before = await xaddCeiling(entries);
    const outcomes: [Run, Outcome][] = [];
    for (const run of runs) {
      const made = bodies(run.protocol, events);
      outcomes.push([run, await measure(stack, project.key, run, made.slice(0, warmup), made.slice(warmup), o.workerSinks, (window) => section.load!.push({ label: `${PROTOCOLS[run.protocol].label}${run.withWorker ? ', worker beside' : ''}`, window }))]);
    }
    const ceiling = await bestOfTwo(before, () => xaddCeiling(entries));
    for (const [run, out] of outcomes) section.rows.push(...rows(run, out, ceiling, o.workerSinks));
    section.rows.push({ what: 'raw ceiling: Redis XADD', figure: '', ceiling: `${fmt(ceiling.perSecond)}/s, Redis ${fmt(ceiling.serviceCpuPerMillion ?? NaN, 2)} CPU-s/M`, note: `${ceiling.how}; the client ${fmt(ceiling.clientCpuPerMillion ?? NaN, 2)} CPU-s/M` });
    section.notes.push('CPU-s/M: CPU seconds per million events of the server process alone (utime+stime from /proc, every thread), over the timed requests; the first requests warm it up and are not counted');
    section.notes.push('Redis is shared with the machine\u2019s other users: its CPU figures include whatever else it served meanwhile');
  } finally {
    await stack.destroy();
  }
}

async function measure(stack: BenchStack, apiKey: string, run: Run, warm: Body[], timed: Body[], workerSinks: string, window: (w: ReturnType<MachineLoad['stop']>) => void): Promise<Outcome> {
  const namespace = uniqueName('bench');
  const env = { LOGFLOW_NAMESPACE: namespace };
  const redis = connect();
  try {
    if (run.withWorker) await stack.run(['migrate'], { ...env, LOGFLOW_SINKS: workerSinks });
    const { process: server, url } = await stack.server(env);
    const worker = run.withWorker ? stack.start(['worker', '--sinks', workerSinks], env) : undefined;
    const target = endpoint(run.protocol, url, apiKey);
    // One request first: a build without this endpoint answers 404, and that is a figure too.
    const agent = new http.Agent();
    const probe = await post(agent, target, warm[0]!.payload);
    agent.destroy();
    if (probe.status === 404) return { available: false, why: 'not available (404): this build has no such endpoint' };
    if (probe.status < 200 || probe.status >= 300) return { available: false, why: `refused: HTTP ${probe.status} ${probe.text.slice(0, 200)}` };
    await sendAll(target, warm.slice(1), CONCURRENCY);
    const load = new MachineLoad(() => [server.pid, ...(worker ? [worker.pid] : [])]);
    const cpu0 = cpuSecondsOf(server.pid)!;
    const worker0 = worker ? cpuSecondsOf(worker.pid) : undefined;
    const redis0 = await redisCpu(redis);
    const result = await sendAll(target, timed, CONCURRENCY);
    const serverCpu = cpuSecondsOf(server.pid)! - cpu0;
    const workerCpu = worker && worker0 !== undefined ? cpuSecondsOf(worker.pid)! - worker0 : undefined;
    const redisUsed = (await redisCpu(redis)) - redis0;
    window(load.stop());
    const backlogLeft = worker ? await groupBacklog(redis, namespace, workerSinks.split(',')[0]!, 1000) : undefined;
    return { available: true, load: result, serverCpu, redisCpu: redisUsed, workerCpu, backlogLeft };
  } finally {
    await stack.stopProcesses();
    redis.disconnect();
    await dropRedisNamespace(namespace);
  }
}

function rows(run: Run, out: Outcome, ceiling: Ceiling, workerSinks: string) {
  const what = `${PROTOCOLS[run.protocol].label}, ${run.withWorker ? `worker (${workerSinks}) beside it` : 'server alone'}`;
  if (!out.available) return [{ what, figure: out.why }];
  const { load } = out;
  const perSecond = load.events / load.seconds;
  const cpu = out.serverCpu / (load.events / 1e6);
  const failed = load.firstFailure ? `; FAILED requests: ${load.firstFailure}` : '';
  const statuses = [...load.statuses].map(([s, n]) => `${n}\u00d7${s}`).join(' ');
  const target = run.protocol === 'logs' ? `\u2265 ${fmt(TARGET.perSecond)}/s, \u2264 ${TARGET.cpuPerMillion} CPU-s/M${run.withWorker ? ` (${verdict(perSecond >= TARGET.perSecond && cpu <= TARGET.cpuPerMillion)})` : ''}` : '\u2264 POST /logs per event (issue 9)';
  const extra = [
    `request p50 ${fmt(percentile(load.latenciesMs, 50))} ms, p99 ${fmt(percentile(load.latenciesMs, 99))} ms`,
    `Redis ${fmt(out.redisCpu / (load.events / 1e6), 2)} CPU-s/M`,
    ...(out.workerCpu !== undefined ? [`worker ${fmt(out.workerCpu / (load.events / 1e6), 1)} CPU-s/M, ${fmt(out.backlogLeft ?? NaN)} events not yet written when the last request was answered`] : []),
    statuses,
  ];
  return [{ what, figure: `${fmt(perSecond)} events/s, ${fmt(cpu, 1)} CPU-s/M`, ceiling: `${fmt(ceiling.perSecond)}/s`, ratio: perSecond / ceiling.perSecond, target, note: extra.join('; ') + failed }];
}
