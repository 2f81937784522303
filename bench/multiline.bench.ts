// How many lines per second the shipper's multiline joiner takes on one core.
//   npx tsx bench/multiline.bench.ts
// The agent as a whole aims at 400k lines/s and the parser alone at 1M; the joiner runs before the
// parser on every line and does far less, so it should cost a fraction of that: hence 2M.
import { readFileSync } from 'node:fs';
import { MultilineJoiner, type MultilineOptions } from '../cli/ship/transforms/multiline.ts';

const LINES = 1_000_000;
const TARGET = 2_000_000;
const FIXTURES = new URL('../cli/ship/transforms/fixtures/multiline/', import.meta.url);
const TRACES = ['java-spring.log', 'python-logging.log', 'node-console-error.log', 'go-panic.log'];

const linesOf = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8').replace(/\n$/, '').split('\n');

/** Mostly single-line records (JSON, dated text, logfmt, blank lines), with one stack trace every ~180 lines. */
function mixed(): string[] {
  const single = linesOf('single-lines.log');
  return TRACES.flatMap((name) => [...Array.from({ length: 20 }, () => single).flat(), ...linesOf(name)]);
}

/** Lines per second for `LINES` pushes cycling through `sample`, after a warm-up that lets V8 optimise. */
function measure(sample: string[], opts: MultilineOptions): number {
  const sizes = sample.map((line) => Buffer.byteLength(line) + 1);
  const joiner = new MultilineJoiner(opts);
  let offset = 0;
  let events = 0; // read the results so the work cannot be optimised away
  const run = (count: number) => {
    for (let i = 0; i < count; i++) {
      const k = i % sample.length;
      const end = offset + sizes[k]!;
      events += joiner.push(sample[k]!, offset, end, 0).length;
      offset = end;
    }
  };
  run(200_000);
  const start = process.hrtime.bigint();
  run(LINES);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (events + joiner.flush().length === 0) throw new Error('nothing was joined');
  return LINES / seconds;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const sample = mixed();
const traces = TRACES.flatMap(linesOf);
const base = { maxBytes: 256 * 1024, idleMs: 5000 };
const traceShare = Math.round((100 * traces.length) / sample.length);
const rows: [string, number][] = [
  [`mixed, default rules (${sample.length}-line cycle, ${traceShare}% of lines in traces)`, measure(sample, base)],
  ['mixed, --multiline-start ^\\d{4}-', measure(sample, { ...base, startPattern: /^\d{4}-/ })],
  ['traces only, default rules (Java, Python, Node, Go)', measure(traces, base)],
  ['traces only, cut at 512 bytes', measure(traces, { ...base, maxBytes: 512 })],
];
console.log(`MultilineJoiner.push, ${fmt(LINES)} lines per row, Node ${process.version}`);
for (const [label, rate] of rows) console.log(`  ${fmt(rate).padStart(11)} lines/s  ${label}`);
console.log(`target: ${fmt(TARGET)} lines/s for the joiner alone`);
