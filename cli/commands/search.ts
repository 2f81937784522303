import { loadSettings } from '../../shared/config.ts';
import { parseDuration, parseTimeBound } from '../../shared/duration.ts';
import { LogFlowError } from '../../shared/errors.ts';
import type { LogEvent } from '../../shared/event.ts';
import { parseLevelList } from '../../shared/levels.ts';
import { MAX_BUCKETS } from '../../shared/query/histogram.ts';
import { MAX_LIMIT } from '../../shared/query/search.ts';
import { LogFlowClient } from '../client.ts';
import { untilSignal } from '../run.ts';
import { follow } from '../search/follow.ts';
import { escapeControl, formatEvents, type FormatOptions, type Output } from '../search/format.ts';
import { drawHistogram } from '../search/histogram.ts';

interface SearchOptions {
  service?: string;
  level?: string;
  since?: string;
  from?: string;
  to?: string;
  limit: string;
  output: Output;
  fields?: string;
  histogram?: boolean;
  buckets?: string;
  follow?: boolean;
  url?: string;
  apiKey?: string;
}

const usage = (message: string) => new LogFlowError('USAGE', message);

/** Builds the query once, with times fixed now, so every page asks the same question. */
export function searchParams(text: string[], o: SearchOptions, now = Date.now()): { params: URLSearchParams; limit: number } {
  const params = new URLSearchParams();
  if (text.length) params.set('q', text.join(' '));
  if (o.service) params.set('service', o.service);
  if (o.level) {
    try {
      params.set('level', parseLevelList(o.level).join(','));
    } catch (err) {
      throw usage(`--level: ${(err as Error).message}`);
    }
  }
  if (o.follow && (o.since || o.from || o.to)) throw usage('--follow shows events as they arrive: leave out --since, --from and --to (search without --follow for the past)');
  if (o.follow && o.histogram) throw usage('use --follow or --histogram, not both');
  if (o.follow && o.output === 'json') throw usage('--output json prints one array at the end; with --follow use --output ndjson or pretty');
  if (o.since && (o.from || o.to)) throw usage('use --since or --from/--to, not both');
  if (o.since) {
    const ms = parseDuration(o.since);
    if (ms === undefined) throw usage(`--since "${o.since}" is not a duration like 15m, 1h or 7d`);
    params.set('from', new Date(now - ms).toISOString());
  }
  const bounds: Partial<Record<'from' | 'to', number>> = {};
  for (const key of ['from', 'to'] as const) {
    const v = o[key];
    if (!v) continue;
    try {
      bounds[key] = parseTimeBound(v, now);
      params.set(key, new Date(bounds[key]).toISOString());
    } catch (err) {
      throw usage(`--${key}: ${err instanceof RangeError ? `"${v}" is outside the times LogFlow can hold` : (err as Error).message}`);
    }
  }
  if (bounds.from !== undefined && bounds.to !== undefined && bounds.from > bounds.to) throw usage(`--from (${o.from}) is later than --to (${o.to}): swap them`);
  const limit = Number(o.limit);
  if (!Number.isInteger(limit) || limit < 1) throw usage('--limit must be a whole number of at least 1');
  if (o.buckets !== undefined) {
    const n = Number(o.buckets);
    if (!o.histogram) throw usage('--buckets goes with --histogram');
    if (!Number.isInteger(n) || n < 1 || n > MAX_BUCKETS) throw usage(`--buckets must be a whole number from 1 to ${MAX_BUCKETS}`);
    params.set('buckets', String(n));
  }
  return { params, limit };
}

function formatOptions(o: SearchOptions): FormatOptions {
  const fields = o.fields?.split(',').map((f) => f.trim()).filter(Boolean);
  return { colour: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR, fields };
}

export async function search(text: string[], o: SearchOptions): Promise<number> {
  const settings = loadSettings(process.env, { LOGFLOW_URL: o.url, LOGFLOW_API_KEY: o.apiKey });
  const { params, limit } = searchParams(text, o);
  const client = new LogFlowClient(settings.LOGFLOW_URL, settings.LOGFLOW_API_KEY, 1);
  try {
    if (o.histogram) {
      process.stdout.write(drawHistogram(await client.histogram(params), { colour: formatOptions(o).colour, width: Math.max(20, (process.stdout.columns ?? 100) - 30) }));
      return 0;
    }
    if (o.follow) return await followEvents(client, params, o);
    return await printPages(client, params, limit, o);
  } finally {
    await client.close();
  }
}

async function printPages(client: LogFlowClient, params: URLSearchParams, limit: number, o: SearchOptions): Promise<number> {
  const format = formatOptions(o);
  // pretty and ndjson stream page by page; json is one array, so it is printed at the end.
  const forJson: LogEvent[] = [];
  let count = 0;
  // Page through the server (at most MAX_LIMIT a page) until the limit or the last page.
  for (let cursor: string | null = null; count < limit; ) {
    params.set('limit', String(Math.min(MAX_LIMIT, limit - count)));
    if (cursor) params.set('cursor', cursor);
    const page = await client.search(params);
    count += page.hits.length;
    if (o.output === 'json') forJson.push(...page.hits);
    else if (page.hits.length) process.stdout.write(formatEvents(page.hits, o.output, format));
    cursor = page.next_cursor;
    if (!cursor || !page.hits.length) break;
  }
  if (o.output === 'json' && count) process.stdout.write(formatEvents(forJson, 'json', format));
  if (!count) process.stderr.write('no logs matched\n');
  return 0;
}

/** Prints matching events as they arrive until Ctrl-C (or SIGTERM), which ends it with 0. */
async function followEvents(client: LogFlowClient, params: URLSearchParams, o: SearchOptions): Promise<number> {
  const format = formatOptions(o);
  const abort = new AbortController();
  const stopped = untilSignal(async () => abort.abort(), 5000);
  const following = follow(client, params, abort.signal, {
    onReady: () => process.stderr.write('logflow: following new events (Ctrl-C to stop)\n'),
    onEvent: (e) => process.stdout.write(formatEvents([e], o.output, format)),
    onMissed: (m) => process.stderr.write(`logflow: missed ${m.missed ?? 'some'} events: ${escapeControl(m.reason)}\n`),
    onReconnect: (reason) => process.stderr.write(`logflow: connection lost (${escapeControl(reason)}), reconnecting\n`),
  });
  await Promise.race([following, stopped]);
  abort.abort();
  await following;
  return 0;
}
