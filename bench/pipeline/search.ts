// Stage 4, search: GET /search for a fixed set of query shapes on the kept data set, through two
// `logflow server`s over the same data (one with OPENSEARCH_URL, one searching PostgreSQL). Every
// answer is checked against what the query means before it is timed: a shape this build's grammar
// cannot express yet (phrase, field value, trace id: issue 10) is "not supported by this build".
import http from 'node:http';
import type { LogEvent } from '../../shared/event.ts';
import { PHRASE, QUERY_WORDS, REVERSED_PHRASE } from './events.ts';
import { percentile } from './http-load.ts';
import { MachineLoad } from './proc.ts';
import { fmt, verdict, type Report } from './report.ts';
import { ensureSearchData, PROJECTS, type Dataset } from './search-data.ts';
import { BenchStack } from './stack.ts';

const TARGET_P95_MS = 200;
const TIMED = 40;
const HOUR = 3_600_000;

interface Variant {
  params: Record<string, string>;
  /** What every hit must satisfy for the answer to be right. */
  holds: (e: LogEvent) => boolean;
  /** Whether the data set has matches (an empty answer is then wrong). */
  matches: boolean;
}

interface Shape {
  name: string;
  /** Shapes issue 10 adds to the grammar: a wrong answer means this build cannot express them yet. */
  added: boolean;
  variants: Variant[];
  /** A query whose answer must be empty for the shape to be understood (a phrase reversed). */
  mustBeEmpty?: Record<string, string>;
}

const show = (params: Record<string, string>) => Object.entries(params).map(([k, v]) => `${k}=${v}`).join('&');
const iso = (ms: number) => new Date(ms).toISOString();
const inRange = (e: LogEvent, from: number, to: number) => Date.parse(e.timestamp) >= from && Date.parse(e.timestamp) < to;
// Issue 10 lets words match the string values of metadata too; an answer right under either reading passes.
const texts = (e: LogEvent): string[] => {
  const out = [e.message];
  const walk = (v: unknown) => (typeof v === 'string' ? out.push(v) : v && typeof v === 'object' && Object.values(v).forEach(walk));
  walk(e.metadata);
  return out.map((t) => t.toLowerCase());
};
const hasWord = (e: LogEvent, w: string) => texts(e).some((t) => t.split(/[^a-z0-9]+/).includes(w));
const hasPhrase = (e: LogEvent, p: string) => texts(e).some((t) => t.split(/[^a-z0-9]+/).join(' ').includes(p));
const at = (o: unknown, dotted: string): unknown => dotted.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), o);

function shapes(d: Dataset): Shape[] {
  const span = d.spanEndMs - d.spanStartMs;
  const points = Array.from({ length: 10 }, (_, i) => d.spanStartMs + Math.floor(((i + 0.5) / 10) * span));
  const field = (key: string, value: string): Variant => ({ params: { q: `${key}:${value}` }, holds: (e) => String(at(e.metadata, key)) === value, matches: true });
  return [
    {
      name: 'level + time range',
      added: false,
      variants: points.flatMap((t, i) => {
        const [levels, width] = i % 2 ? [['WARN', 'ERROR'], 24 * HOUR] : [['ERROR'], HOUR];
        const from = Math.min(t, d.spanEndMs - width);
        return [{ params: { level: levels.join(','), from: iso(from), to: iso(from + width) }, holds: (e: LogEvent) => levels.includes(e.level) && inRange(e, from, from + width), matches: true }];
      }),
    },
    { name: 'one word', added: false, variants: QUERY_WORDS.map((w) => ({ params: { q: w }, holds: (e: LogEvent) => hasWord(e, w), matches: (d.samples.wordCounts[w] ?? 1) > 0 })) },
    {
      name: 'a phrase',
      added: true,
      variants: [PHRASE, 'card declined', 'transaction rolled back'].map((p) => ({ params: { q: `"${p}"` }, holds: (e: LogEvent) => hasPhrase(e, p), matches: true })),
      mustBeEmpty: { q: `"${REVERSED_PHRASE}"` },
    },
    { name: 'a field value', added: true, variants: [field('http.status', '503'), field('http.status', '404'), field('user.plan', 'enterprise'), ...d.samples.userIds.slice(0, 7).map((u) => field('user.id', String(u)))] },
    { name: 'a trace id', added: true, variants: d.samples.traceIds.slice(0, 20).map((t) => ({ params: { trace_id: t }, holds: (e: LogEvent) => e.trace_id === t, matches: true })) },
    {
      name: 'service + level, no match, 7 days',
      added: false,
      variants: [0, 3, 7].map((daysBack) => {
        const to = d.spanEndMs - daysBack * 24 * HOUR;
        const from = to - 7 * 24 * HOUR;
        return { params: { service: 'billing', level: 'DEBUG', from: iso(from), to: iso(to) }, holds: () => false, matches: false };
      }),
    },
  ];
}

interface Answer {
  status: number;
  ms: number;
  hits: LogEvent[];
  text: string;
}

function get(agent: http.Agent, url: string, params: Record<string, string>): Promise<Answer> {
  const u = new URL('/search', url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get(u, { agent, headers: { 'x-api-key': PROJECTS[0]!.key } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const ms = performance.now() - t0;
          const text = Buffer.concat(chunks).toString();
          const hits = res.statusCode === 200 ? ((JSON.parse(text) as { hits: LogEvent[] }).hits ?? []) : [];
          resolve({ status: res.statusCode ?? 0, ms, hits, text });
        });
      })
      .on('error', reject);
  });
}

/** Why the answers show the shape is not understood, or undefined when every answer is right. */
async function check(agent: http.Agent, url: string, s: Shape): Promise<string | undefined> {
  for (const v of s.variants) {
    const a = await get(agent, url, v.params);
    if (a.status !== 200) return `HTTP ${a.status} for ${show(v.params)}: ${a.text.slice(0, 160)}`;
    const wrong = a.hits.filter((e) => e.project_id !== PROJECTS[0]!.id || !v.holds(e));
    if (wrong.length) return `${wrong.length} of ${a.hits.length} hits for ${show(v.params)} do not match it (e.g. "${wrong[0]!.message.slice(0, 80)}")`;
    if (v.matches && !a.hits.length) return `no hits for ${show(v.params)}, which matches events of the data set`;
  }
  if (s.mustBeEmpty) {
    const a = await get(agent, url, s.mustBeEmpty);
    if (a.status === 200 && a.hits.length) return `${show(s.mustBeEmpty)} (the words reversed) found ${a.hits.length} hits: searched as separate words`;
  }
  return undefined;
}

export async function searchStage(o: { events: number; rebuild: boolean }, report: Report, track: (s: BenchStack) => void): Promise<void> {
  const { where, dataset, loaded } = await ensureSearchData(o.events, o.rebuild);
  const section = report.section(`search: ${fmt(dataset.events)} events over ${fmt((dataset.spanEndMs - dataset.spanStartMs) / 86_400_000)} days (database ${where.database}, namespace ${where.namespace}), GET /search limit 100, p50/p95 of ${TIMED} queries a shape`);
  const loadNote = Object.entries(loaded).filter(([, s]) => s !== undefined).map(([store, s]) => `${store} ${fmt(s!)} s`);
  section.notes.push(loadNote.length ? `loaded in this run: ${loadNote.join(', ')} (the two at once); kept for the next run` : `data set reused from an earlier run (same generator and schema/mapping; --rebuild loads it again)`);
  const stack = await BenchStack.create({ opensearch: true, database: where.database, namespace: where.namespace, keep: true });
  track(stack);
  try {
    const servers = { OpenSearch: await stack.server(), PostgreSQL: await stack.server({ OPENSEARCH_URL: '' }) };
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (const [backend, { url, process: server }] of Object.entries(servers)) {
      const load = new MachineLoad(() => [server.pid]);
      for (const s of shapes(dataset)) {
        const what = `${s.name} (${backend})`;
        const wrong = await check(agent, url, s);
        if (wrong) {
          section.rows.push({ what, figure: s.added ? 'not supported by this build' : 'WRONG ANSWERS', note: wrong });
          continue;
        }
        const times: { ms: number; params: Record<string, string>; hits: number }[] = [];
        for (let i = 0; i < TIMED; i++) {
          const v = s.variants[i % s.variants.length]!;
          const a = await get(agent, url, v.params);
          times.push({ ms: a.ms, params: v.params, hits: a.hits.length });
        }
        const ms = times.map((t) => t.ms);
        const p95 = percentile(ms, 95);
        const slowest = times.reduce((a, b) => (b.ms > a.ms ? b : a));
        section.rows.push({ what, figure: `p50 ${fmt(percentile(ms, 50))} ms, p95 ${fmt(p95)} ms`, target: `p95 \u2264 ${TARGET_P95_MS} ms (${verdict(p95 <= TARGET_P95_MS)})`, note: `slowest ${fmt(slowest.ms)} ms: ${show(slowest.params)} (${slowest.hits} hits)` });
      }
      section.load!.push({ label: `searching ${backend}`, window: load.stop() });
    }
    agent.destroy();
    section.notes.push('each answer was checked first (every hit in the project and matching the query; hits where the data set has them), then timed from the request to the last byte, one query at a time');
  } finally {
    await stack.destroy(); // the data set stays: the stack is a kept one

  }
}
