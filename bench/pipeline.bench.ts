// The pipeline after the shipper, measured in one run on one generated data set, each figure beside
// the raw ceiling of the service under it, measured in the same run (issue 11's targets):
//   npm run bench:pipeline                              # every stage
//   npm run bench:pipeline -- --only ingest,sinks       # some stages: ingest, sinks, latency, search
//   npm run bench:pipeline -- --events 100000           # stages 1-2 on fewer events (default 300,000)
//   npm run bench:pipeline -- --search-events 1000000   # a smaller search data set (default 10,000,000)
//   npm run bench:pipeline -- --rebuild                 # load the search data set again even if it is current
//   npm run bench:pipeline -- --drop-search-data        # remove every kept search data set, then exit
//   npm run bench:pipeline -- --json out.json           # the figures as JSON too
// Real `logflow server`, `worker` and `ship` processes against the local Redis, PostgreSQL and
// OpenSearch, each stage in a database, namespace and directory of its own, removed at its end (the
// search data set is kept for the next run). It reports; it never fails on a missed target.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ingestStage } from './pipeline/ingest.ts';
import { latencyStage } from './pipeline/latency.ts';
import { Report } from './pipeline/report.ts';
import { searchStage } from './pipeline/search.ts';
import { dropSearchData } from './pipeline/search-data.ts';
import { sinksStage } from './pipeline/sinks.ts';
import { ROOT, type BenchStack } from './pipeline/stack.ts';

const STAGES = ['ingest', 'sinks', 'latency', 'search'] as const;
type Stage = (typeof STAGES)[number];

const { values: flags } = parseArgs({
  options: {
    events: { type: 'string', default: '300000' },
    'search-events': { type: 'string', default: '10000000' },
    only: { type: 'string', default: STAGES.join(',') },
    rebuild: { type: 'boolean', default: false },
    'drop-search-data': { type: 'boolean', default: false },
    'ingest-worker-sinks': { type: 'string', default: 'file' },
    'scale-sinks': { type: 'string', default: 'postgres,opensearch' },
    'latency-seconds': { type: 'string', default: '30' },
    'latency-rate': { type: 'string', default: '10000' },
    json: { type: 'string' },
  },
});

const only = flags.only.split(',').map((s) => s.trim()).filter(Boolean);
for (const s of only) {
  if (!(STAGES as readonly string[]).includes(s)) {
    console.error(`--only: "${s}" is not a stage; use ${STAGES.join(', ')}`);
    process.exit(2);
  }
}
const wanted = (s: Stage) => only.includes(s);
const positive = (name: string, raw: string) => {
  const n = Number(raw.replaceAll('_', ''));
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`--${name} must be a whole number above 0 (got "${raw}")`);
    process.exit(2);
  }
  return n;
};
const events = positive('events', flags.events);
const searchEvents = positive('search-events', flags['search-events']);

// Stacks still standing when the bench is interrupted are removed before it exits.
const live = new Set<BenchStack>();
const track = (s: BenchStack) => live.add(s);
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.error(`\n${signal}: removing what the bench made, then exiting (again to exit at once)`);
    void Promise.allSettled([...live].map((s) => s.destroy())).then(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  if (flags['drop-search-data']) {
    const removed = await dropSearchData();
    console.log(removed.length ? `removed ${removed.join(', ')}` : 'no kept search data set to remove');
    return;
  }
  // A stale bundle would run every logflow process through tsx: slower, and not what users run.
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs')], { stdio: 'inherit', cwd: ROOT });
  const report = new Report();
  const t0 = performance.now();
  console.log(`bench:pipeline at ${new Date().toISOString()}: stages ${only.join(', ')}`);
  const stages: [Stage, () => Promise<void>][] = [
    ['ingest', () => ingestStage({ events, workerSinks: flags['ingest-worker-sinks'] }, report, track)],
    ['sinks', () => sinksStage({ events, scaleSinks: flags['scale-sinks'].split(',').filter(Boolean) }, report, track)],
    ['latency', () => latencyStage({ seconds: positive('latency-seconds', flags['latency-seconds']), rate: positive('latency-rate', flags['latency-rate']) }, report, track)],
    ['search', () => searchStage({ events: searchEvents, rebuild: flags.rebuild }, report, track)],
  ];
  for (const [name, run] of stages) {
    if (!wanted(name)) continue;
    const printed = report.sections.length;
    const started = performance.now();
    try {
      await run();
    } catch (err) {
      const s = report.section(`${name}: FAILED`);
      s.notes.push((err as Error).stack ?? String(err));
      process.exitCode = 1;
    }
    const made = report.sections.slice(printed);
    made.at(-1)?.notes.push(`stage took ${((performance.now() - started) / 1000).toFixed(0)} s`);
    for (const s of made) report.print(s);
  }
  console.log(`\nbench:pipeline took ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  if (flags.json) writeFileSync(flags.json, JSON.stringify(report.toJSON(), null, 2));
}

await main();
