// Stage 2, the sinks: a `logflow worker` with one sink at a time drains a backlog of N events already
// in the stream; beside it the store's raw ceiling on the same rows, right after, in the same run.
// Then 1 vs 2 worker processes on one sink (the same group, a fresh store).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { LogEvent } from '../../shared/event.ts';
import { connect, fillStream, watchDrain, type Drain } from './backlog.ts';
import { bestOfTwo, bulkCeiling, copyCeiling, countDocs, fileCeiling, type Ceiling } from './ceilings.ts';
import { enriched, recentEvents, type ClientEvent } from './events.ts';
import { cpuSecondsOf, MachineLoad } from './proc.ts';
import { fmt, verdict, type Report, type Section } from './report.ts';
import { BenchStack, pgClient } from './stack.ts';

type SinkName = 'postgres' | 'opensearch' | 'file';
const SINKS: SinkName[] = ['postgres', 'opensearch', 'file'];
const TARGET_RATIO = 0.8;

export interface SinksOptions {
  events: number;
  /** Sinks that are also drained by two worker processes at once. */
  scaleSinks: string[];
}

interface Drained {
  drain: Drain;
  workerCpuPerMillion: number;
  stored: number;
}

export async function sinksStage(o: SinksOptions, report: Report, track: (s: BenchStack) => void): Promise<void> {
  const section = report.section(`sinks: a backlog of ${fmt(o.events)} events drained by \`logflow worker\`, one sink at a time`);
  const events = recentEvents(o.events, 22, 's');
  // The ceilings write the same events under project 1, the project of a fresh installation.
  const ingestTs = new Date().toISOString();
  const rows = events.map((e) => enriched(e, 1, ingestTs));
  for (const sink of SINKS) {
    const before = await ceilingOf(sink, rows);
    const one = await drainWith(sink, 1, events, track, section);
    const ceiling = await bestOfTwo(before, () => ceilingOf(sink, rows));
    section.rows.push(row(`${sink}, 1 worker`, one.result, ceiling, o.events, sink !== 'file'));
    section.rows.push({ what: `  raw ceiling: ${sink}`, figure: '', ceiling: `${fmt(ceiling.perSecond)}/s${ceiling.serviceCpuPerMillion !== undefined ? `, PostgreSQL backend ${fmt(ceiling.serviceCpuPerMillion, 1)} CPU-s/M` : ''}`, note: `${ceiling.how}; ${fmt(ceiling.stored)} stored` });
    if (o.scaleSinks.includes(sink)) {
      const two = await drainWith(sink, 2, events, track, section);
      section.rows.push(row(`${sink}, 2 workers`, two.result, ceiling, o.events, false, one.result.drain.perSecond));
    }
  }
  section.notes.push(`rate: events acknowledged per second from the first acknowledgement to the last (a worker's start-up not counted); worker CPU-s/M from its /proc counters; LOGFLOW_WORKER_BATCH and the other settings at their defaults`);
  section.notes.push(`target: each sink \u2265 ${TARGET_RATIO * 100}% of its raw ceiling; 2 workers faster than 1 until the store is the limit`);
}

function row(what: string, r: Drained, ceiling: Ceiling, events: number, targeted: boolean, oneWorker?: number) {
  const ratio = r.drain.perSecond / ceiling.perSecond;
  const lost = r.stored === events ? `all ${fmt(events)} stored` : `STORED ${fmt(r.stored)} of ${fmt(events)}`;
  const scale = oneWorker ? `; ${fmt(r.drain.perSecond / oneWorker, 2)}x one worker` : '';
  return {
    what,
    figure: r.drain.drained ? `${fmt(r.drain.perSecond)} events/s` : `NOT DRAINED (${fmt(r.drain.perSecond)} events/s)`,
    ceiling: `${fmt(ceiling.perSecond)}/s`,
    ratio,
    target: targeted || oneWorker ? `\u2265 ${TARGET_RATIO}${targeted ? ` (${verdict(ratio >= TARGET_RATIO)})` : ''}` : '',
    note: `${lost}; worker ${fmt(r.workerCpuPerMillion, 1)} CPU-s/M; ${fmt(r.drain.totalSeconds, 1)} s from the worker's start${scale}`,
  };
}

async function ceilingOf(sink: SinkName, rows: LogEvent[]): Promise<Ceiling> {
  if (sink === 'postgres') return copyCeiling(rows);
  if (sink === 'opensearch') return bulkCeiling(rows);
  return fileCeiling(rows);
}

/** A fresh installation, the backlog in its stream, `workers` worker processes on one sink until it is drained. */
async function drainWith(sink: SinkName, workers: number, events: ClientEvent[], track: (s: BenchStack) => void, section: Section): Promise<{ result: Drained }> {
  const stack = await BenchStack.create({ opensearch: sink === 'opensearch' });
  track(stack);
  const redis = connect();
  try {
    await stack.migrate(sink);
    const project = await stack.createProject('bench');
    const ingestTs = new Date().toISOString();
    const rows = events.map((e) => enriched(e, project.id, ingestTs));
    const entries = await fillStream(redis, stack.namespace, rows);
    const procs = Array.from({ length: workers }, (_, i) => stack.worker(sink, `bench-${i}`));
    const load = new MachineLoad(() => procs.map((p) => p.pid));
    const drain = await watchDrain(redis, stack.namespace, sink, entries, events.length, 10 * 60_000);
    const cpu = procs.reduce((n, p) => n + (cpuSecondsOf(p.pid) ?? 0), 0);
    section.load!.push({ label: `${sink}, ${workers} worker${workers > 1 ? 's' : ''}`, window: load.stop() });
    await stack.stopProcesses();
    const stored = await storedIn(sink, stack);
    return { result: { drain, workerCpuPerMillion: cpu / (events.length / 1e6), stored } };
  } finally {
    redis.disconnect();
    await stack.destroy();
  }
}

async function storedIn(sink: SinkName, stack: BenchStack): Promise<number> {
  if (sink === 'opensearch') return countDocs(stack.namespace);
  if (sink === 'postgres') {
    const c = await pgClient(stack.database);
    try {
      return Number((await c.query('SELECT count(DISTINCT event_id) AS n FROM logs')).rows[0].n);
    } finally {
      await c.end();
    }
  }
  let lines = 0;
  const walk = async (dir: string): Promise<void> => {
    for (const d of await readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, d.name);
      if (d.isDirectory()) await walk(p);
      else lines += (await readFile(p, 'utf8')).split('\n').filter(Boolean).length;
    }
  };
  await walk(stack.fileDir);
  return lines;
}
