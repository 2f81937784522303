// The shipping agent end to end, run as a user runs it: `logflow ship` reading a 1M-line file of
// mixed real shapes from stdin (and tailing it as a file), sending to a counting receiver in another
// process; then the same with the server down. Measured from outside: wall time, CPU seconds, RSS.
//   npm run bench:ship                      # the whole table
//   npm run bench:ship -- --lines 200000    # quicker (--runs 1: one stdin run rather than the median of 3)
//   npm run bench:ship -- --profile         # and where the shipper's main thread spends its time
//   npm run bench:ship -- --format text     # every line read as text: what parsing JSON and logfmt costs
//   npm run bench:ship -- --compare HEAD~3  # this checkout against another commit, stdin runs taken in turn
// It builds the bundle first. It reports; it never fails on a missed target (a benchmark, not a test).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { printProfile, summarizeProfile } from './cpu-profile.ts';
import { hasGnuTime, startMeasured, type Finished } from './measure-process.ts';
import { ReceiverProcess } from './receiver-process.ts';
import { ensureCorpus, type Corpus } from './ship-corpus.ts';

const TARGET = { linesPerSecond: 400_000, cpuPerMillion: 2.5, peakRssMB: 100 };
const CEILING = [
  'Targets, parsing every line: ≥ 400,000 lines/s, ≤ 2.5 CPU-s per million lines, ≤ 100 MB peak RSS (and flat while the server is down).',
  'Reference on this 2-core machine: Fluent Bit tail→http ~395,000 lines/s, ~2 CPU-s/M lines, 150–185 MB RSS (no parsing);',
  'plain Node readline+fetch loop (no parsing) ~258,000 lines/s, 3.4 CPU-s/M.',
];

const { values: flags } = parseArgs({ options: { lines: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '3' }, profile: { type: 'boolean', default: false }, 'skip-tail': { type: 'boolean', default: false }, 'skip-down': { type: 'boolean', default: false }, format: { type: 'string', default: 'auto' }, compare: { type: 'string' } } });
const LINES = Number(flags.lines);
const RUNS = Math.max(1, Number(flags.runs));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A checkout to measure: its `logflow` entry and the node flags its cli/logflow gives `logflow ship`. */
interface Build {
  name: string;
  root: string;
  cli: string;
  nodeFlags: string[];
}

/** Builds the bundle of the checkout at `root`: a stale one would run through tsx, about 20 MB and a fifth slower. */
function buildAt(name: string, root: string): Build {
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { stdio: 'inherit', cwd: root });
  // The command is measured as it runs: with the flags of cli/logflow's `ship)` line.
  const flagsLine = /^\s*ship\) flags='([^']*)'/m.exec(readFileSync(path.join(root, 'cli', 'logflow'), 'utf8'));
  if (!flagsLine) throw new Error(`${root}/cli/logflow has no \`ship) flags='…'\` line to take the flags from`);
  return { name, root, cli: path.join(root, 'cli', 'logflow.mjs'), nodeFlags: flagsLine[1]!.split(/\s+/).filter(Boolean) };
}
const scratch = mkdtempSync(path.join(os.tmpdir(), 'logflow-bench-ship-'));
// Our own LOGFLOW_* variables (a test's, say) would be refused by the shipper as unknown settings.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LOGFLOW_')));
const MB = 1024 * 1024;
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
let dirs = 0;

let here: Build;

function shipArgs(receiver: ReceiverProcess, extra: string[], node: string[] = [], build = here): { args: string[]; stateDir: string } {
  const stateDir = path.join(scratch, `state-${dirs++}`);
  return { stateDir, args: [...build.nodeFlags, ...node, build.cli, 'ship', '--service', 'bench', '--url', receiver.url, '--api-key', 'x', '--state-dir', stateDir, '--quiet', '--format', flags.format, ...extra] };
}

/** Events delivered by one run, from the receiver's count before and after. */
async function counted(receiver: ReceiverProcess, run: () => Promise<Finished>): Promise<{ run: Finished; delivered: number }> {
  const before = (await receiver.stats()).events;
  const result = await run();
  return { run: result, delivered: (await receiver.stats()).events - before };
}

async function startup(receiver: ReceiverProcess): Promise<number[]> {
  const one = path.join(scratch, 'one-line.log');
  writeFileSync(one, '2026-11-01T10:00:00Z INFO hello\n');
  const times: number[] = [];
  for (let i = 0; i < 6; i++) {
    const { args } = shipArgs(receiver, []);
    const run = await startMeasured(args, { stdinFile: one, env, cwd: ROOT }).done;
    if (i > 0) times.push(run.wallMs); // the first one warms tsx's transform cache
  }
  return times.sort((a, b) => a - b);
}

async function tail(receiver: ReceiverProcess, corpus: Corpus) {
  const before = (await receiver.stats()).events;
  const { args } = shipArgs(receiver, ['--from-beginning', corpus.file]);
  const m = startMeasured(args, { env, cwd: ROOT });
  const all = receiver.reached(before + corpus.events);
  const first = await Promise.race([all.then(() => 'all' as const), m.done.then(() => 'exited' as const), sleep(300_000).then(() => 'timeout' as const)]);
  const at = m.snapshot();
  if (first !== 'exited') await m.kill('SIGTERM');
  const run = await m.done;
  const delivered = (await receiver.stats()).events - before;
  return { at, run, delivered, complete: first === 'all' };
}

/** Events in the spool: each batch file names its count (`<seq>.<events>.ndjson.gz`). */
function spooledEvents(stateDir: string): number {
  let names: string[] = [];
  try {
    names = readdirSync(path.join(stateDir, 'bench', 'spool'));
  } catch {
    return 0; // no spool at all
  }
  return names.reduce((n, name) => n + Number(/^\d{12}\.(\d+)\.ndjson\.gz$/.exec(name)?.[1] ?? 0), 0);
}

/** RSS at each quarter of the run, and its peak, in MB. */
function rssCurve(run: Finished): string {
  const s = run.samples;
  if (!s.length) return 'no samples';
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))]!.rssBytes / MB;
  return [0.25, 0.5, 0.75, 1].map((q) => `${q * 100}%: ${fmt(at(q))}`).join(', ') + ' MB';
}

/** Flat: the second half of the run never goes more than 10% above the first half's peak. */
function flat(run: Finished): boolean {
  const half = Math.floor(run.samples.length / 2);
  const peak = (xs: { rssBytes: number }[]) => Math.max(0, ...xs.map((x) => x.rssBytes));
  return peak(run.samples.slice(half)) <= 1.1 * peak(run.samples.slice(0, half));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());
const mark = (ok: boolean) => (ok ? 'PASS' : 'MISS');

type Row = [what: string, measured: string, target: string, verdict: string, reference: string];
const rows: Row[] = [];
const notes: string[] = [];

function throughputRows(label: string, lines: number, wallMs: number, cpuSeconds: number, peakRss: number): void {
  const rate = lines / (wallMs / 1000);
  const perMillion = cpuSeconds / (lines / 1e6);
  rows.push([`${label}: throughput`, `${fmt(rate)} lines/s`, `≥ ${fmt(TARGET.linesPerSecond)}`, mark(rate >= TARGET.linesPerSecond), 'Fluent Bit ~395,000; readline+fetch ~258,000']);
  rows.push([`${label}: CPU`, `${fmt(perMillion, 2)} CPU-s/M lines`, `≤ ${TARGET.cpuPerMillion}`, mark(perMillion <= TARGET.cpuPerMillion), 'Fluent Bit ~2; readline+fetch 3.4']);
  rows.push([`${label}: peak RSS`, `${fmt(peakRss / MB)} MB`, `≤ ${TARGET.peakRssMB} MB`, mark(peakRss / MB <= TARGET.peakRssMB), 'Fluent Bit 150–185 MB']);
}

async function main(): Promise<void> {
  here = buildAt('this checkout', ROOT);
  const { corpus, generated } = await ensureCorpus(LINES);
  const receiver = await ReceiverProcess.start();
  try {
    if (flags.compare) return await compare(receiver, corpus, flags.compare);
    const started = await startup(receiver);
    const median = started[Math.floor(started.length / 2)]!;
    rows.push(['start-up (1 line, spawn → exit, median of 5)', `${fmt(median)} ms`, '', '', `runs: ${started.map((t) => fmt(t)).join(', ')} ms`]);

    // The machine is shared (other processes, the receiver): the run with the median wall time speaks.
    const runs: Awaited<ReturnType<typeof counted>>[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await counted(receiver, () => startMeasured(shipArgs(receiver, []).args, { stdinFile: corpus.file, env, cwd: ROOT }).done));
    const stdin = [...runs].sort((a, b) => a.run.wallMs - b.run.wallMs)[Math.floor(runs.length / 2)]!;
    const label = `stdin (< file, exits at EOF${RUNS > 1 ? `, median of ${RUNS}` : ''})`;
    throughputRows(label, corpus.lines, stdin.run.wallMs, stdin.run.cpuSeconds, stdin.run.peakRssBytes);
    const lost = runs.find((r) => r.delivered !== corpus.events) ?? stdin;
    rows.push(['stdin: events delivered', `${fmt(lost.delivered)} of ${fmt(corpus.events)}`, 'all', mark(lost.delivered === corpus.events), `exit ${lost.run.exitCode}`]);
    notes.push(`stdin: ${fmt(stdin.run.wallMs / 1000, 2)} s wall (start-up included), ${fmt(stdin.run.cpuSeconds, 2)} CPU-s of which the main thread ${fmt(stdin.run.mainThreadCpuSeconds, 2)}; RSS at ${rssCurve(stdin.run)}`);
    if (RUNS > 1) notes.push(`stdin runs: ${runs.map((r) => `${fmt(r.run.wallMs / 1000, 2)} s / ${fmt(r.run.cpuSeconds, 2)} CPU-s / ${fmt(r.run.peakRssBytes / MB)} MB`).join(', ')}`);
    for (const r of runs) if (r.run.exitCode !== 0) notes.push(`a stdin run exited ${r.run.exitCode}: ${r.run.stderr.trim().slice(-500)}`);

    if (!flags['skip-tail']) {
      const t = await tail(receiver, corpus);
      throughputRows('file tail (--from-beginning, until all counted)', corpus.lines, t.at.wallMs, t.at.cpuSeconds, t.run.peakRssBytes);
      rows.push(['file tail: events delivered', `${fmt(t.delivered)} of ${fmt(corpus.events)}`, 'all', mark(t.delivered === corpus.events), t.complete ? 'then SIGTERM' : `stopped early (exit ${t.run.exitCode})`]);
      notes.push(`file tail: wall and CPU taken from /proc when the receiver had counted every event: ${fmt(t.at.wallMs / 1000, 2)} s, ${fmt(t.at.cpuSeconds, 2)} CPU-s of which the main thread ${fmt(t.at.mainThreadCpuSeconds, 2)}; RSS at ${rssCurve(t.run)}`);
    }

    if (!flags['skip-down']) {
      receiver.setDown(true);
      const { args, stateDir } = shipArgs(receiver, ['--drain-timeout', '1s']);
      const down = await counted(receiver, () => startMeasured(args, { stdinFile: corpus.file, env, cwd: ROOT }).done);
      receiver.setDown(false);
      const spooled = spooledEvents(stateDir);
      const peakMB = down.run.peakRssBytes / MB;
      rows.push(['server down (503): peak RSS', `${fmt(peakMB)} MB`, `≤ ${TARGET.peakRssMB} MB, flat`, mark(peakMB <= TARGET.peakRssMB && flat(down.run)), `flat: ${flat(down.run) ? 'yes' : 'no'}`]);
      rows.push(['server down: events in the spool', `${fmt(spooled)} of ${fmt(corpus.events)}`, 'all', mark(spooled === corpus.events && down.delivered === 0), `exit ${down.run.exitCode} (1 expected), ${fmt(down.run.wallMs / 1000, 1)} s`]);
      notes.push(`server down: RSS at ${rssCurve(down.run)}`);
    }

    const rs = await receiver.stats();
    notes.push(`receiver (another process on the same cores): ${fmt(rs.cpuSeconds, 1)} CPU-s over ${fmt(rs.requests)} requests in all runs`);
    notes.push(`CPU and peak RSS from ${hasGnuTime ? 'the kernel’s rusage via /usr/bin/time, RSS curve from /proc every 50 ms' : '/proc samples every 50 ms'}`);

    print(corpus, generated);
    if (flags.profile) await profile(receiver, corpus);
  } finally {
    await receiver.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

function print(corpus: Corpus, generated: boolean): void {
  console.log(`logflow ship, ${fmt(corpus.lines)} lines (${fmt(corpus.bytes / MB)} MB, ${generated ? 'generated now' : 'cached'} at ${corpus.file})`);
  console.log(`  pino JSON, slog logfmt, plain text, nginx access, ${fmt((100 * corpus.traceLines) / corpus.lines, 1)}% Java/Python trace lines → ${fmt(corpus.events)} events${flags.format === 'auto' ? '' : `; --format ${flags.format}`}`);
  console.log(`  Node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'})\n`);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length), 8));
  const line = (r: Row) => r.map((c, i) => (i < 4 ? c.padEnd(widths[i]!) : c)).join('  ');
  console.log(line(['', 'measured', 'target', '', 'reference']));
  rows.forEach((r) => console.log(line(r)));
  console.log('');
  notes.forEach((n) => console.log(`  ${n}`));
  console.log('');
  CEILING.forEach((c) => console.log(c));
}

/**
 * This checkout against `ref`, on a host whose speed moves within minutes: stdin runs of the two builds
 * alternate, so that both meet the same moments, and medians are compared.
 */
async function compare(receiver: ReceiverProcess, corpus: Corpus, ref: string): Promise<void> {
  const dir = path.join(scratch, 'compare');
  execFileSync('git', ['worktree', 'add', '--detach', dir, ref], { cwd: ROOT, stdio: 'ignore' });
  try {
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    const builds = [here, buildAt(ref, dir)];
    const runs = new Map<Build, Finished[]>(builds.map((b) => [b, []]));
    for (let i = 0; i < RUNS; i++) {
      for (const b of builds) {
        const r = await counted(receiver, () => startMeasured(shipArgs(receiver, [], [], b).args, { stdinFile: corpus.file, env, cwd: b.root }).done);
        if (r.delivered !== corpus.events) throw new Error(`${b.name}: ${r.delivered} of ${corpus.events} events delivered (exit ${r.run.exitCode})`);
        runs.get(b)!.push(r.run);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const perMillion = corpus.lines / 1e6;
    const figures = builds.map((b) => {
      const rs = runs.get(b)!;
      return {
        name: b.name,
        rate: median(rs.map((r) => corpus.lines / (r.wallMs / 1000))),
        cpu: median(rs.map((r) => r.cpuSeconds / perMillion)),
        main: median(rs.map((r) => r.mainThreadCpuSeconds / perMillion)),
        rss: median(rs.map((r) => r.peakRssBytes / MB)),
      };
    });
    console.log(`logflow ship from stdin, ${fmt(corpus.lines)} lines, ${RUNS} runs of each build taken in turn (medians)\n`);
    const width = Math.max(...figures.map((f) => f.name.length));
    console.log(`${''.padEnd(width)}  ${'lines/s'.padStart(9)}  ${'CPU-s/M'.padStart(7)}  ${'main thread'.padStart(11)}  peak RSS`);
    for (const f of figures) console.log(`${f.name.padEnd(width)}  ${fmt(f.rate).padStart(9)}  ${fmt(f.cpu, 2).padStart(7)}  ${fmt(f.main, 2).padStart(11)}  ${fmt(f.rss)} MB`);
    const [a, b] = figures as [(typeof figures)[0], (typeof figures)[0]];
    console.log(`\nthis checkout against ${ref}: throughput ×${fmt(a.rate / b.rate, 2)}, CPU ×${fmt(a.cpu / b.cpu, 2)}, main thread ×${fmt(a.main / b.main, 2)}`);
  } finally {
    execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: ROOT, stdio: 'ignore' });
  }
}

async function profile(receiver: ReceiverProcess, corpus: Corpus): Promise<void> {
  const dir = path.join(scratch, 'profile');
  const { args } = shipArgs(receiver, [], ['--cpu-prof', '--cpu-prof-dir', dir]);
  const run = await startMeasured(args, { stdinFile: corpus.file, env, cwd: ROOT }).done;
  // tsx's module loader runs on a thread of its own and writes a profile too: the main thread's is the largest.
  const file = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort((a, b) => statSync(path.join(dir, b)).size - statSync(path.join(dir, a)).size)[0];
  console.log(`\nprofile of the stdin run (--cpu-prof, ${fmt(run.wallMs / 1000, 2)} s wall):`);
  if (file) printProfile(summarizeProfile(path.join(dir, file), 25));
  else console.log('  no profile written');
}

await main();
