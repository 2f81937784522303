// How many lines per second the shipper's parser reads on one core.
//   npx tsx bench/parse.bench.ts
// The agent as a whole aims at 400k lines/s; the parser alone should leave it room, hence 1M.
import { readdirSync, readFileSync } from 'node:fs';
import { JsonMembers } from '../shared/parse/json-members.ts';
import { parseLine } from '../shared/parse/line.ts';

const LINES = 1_000_000;
const TARGET = 1_000_000;
const FIXTURES = new URL('../shared/parse/fixtures/', import.meta.url);

function load(filter: (name: string) => boolean): string[] {
  return readdirSync(FIXTURES, { withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => d.name)
    .filter(filter)
    .flatMap((name) => readFileSync(new URL(name, FIXTURES), 'utf8').split('\n'))
    .filter((line) => line !== '');
}

/** Lines per second for `LINES` calls cycling through `sample`, after a warm-up that lets V8 optimise. */
function measure(sample: string[], parse: (line: string) => unknown): number {
  let sink = 0; // read the results so the work cannot be optimised away
  for (let i = 0; i < 200_000; i++) sink += parse(sample[i % sample.length]!) === undefined ? 0 : 1;
  const start = process.hrtime.bigint();
  for (let i = 0; i < LINES; i++) sink += parse(sample[i % sample.length]!) === undefined ? 0 : 1;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (sink === 0) throw new Error('nothing was parsed');
  return LINES / seconds;
}

const members = new JsonMembers();
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const all = load(() => true);
const json = load((name) => name.endsWith('.ndjson'));
const rows: [string, number][] = [
  [`mixed (${all.length} fixture lines: JSON, logfmt, text)`, measure(all, (l) => parseLine(l))],
  ['JSON only (pino, bunyan, winston, structlog)', measure(json, (l) => parseLine(l))],
  ['logfmt only', measure(load((n) => n === 'logfmt.log'), (l) => parseLine(l))],
  ['text only (plain, nginx access)', measure(load((n) => n === 'plain.log' || n === 'nginx-access.log'), (l) => parseLine(l))],
  ['JSON lines scanned for their members alone (parseJson does this, then lifts fields)', measure(json, (l) => members.scan(l))],
  ['JSON.parse alone on the JSON lines (what the scan replaces)', measure(json, (l) => JSON.parse(l))],
];
console.log(`parseLine, ${fmt(LINES)} lines per row, Node ${process.version}`);
for (const [label, rate] of rows) console.log(`  ${fmt(rate).padStart(11)} lines/s  ${label}`);
console.log(`target: ${fmt(TARGET)} lines/s for the parser alone`);
