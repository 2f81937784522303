import { loadSettings } from '../../shared/config.ts';
import { parseDuration, parseTimeBound } from '../../shared/duration.ts';
import { LogFlowError } from '../../shared/errors.ts';
import { parseLevelList } from '../../shared/levels.ts';
import { MAX_LIMIT } from '../../shared/query/search.ts';
import type { LogEvent } from '../../shared/event.ts';
import { LogFlowClient } from '../client.ts';
import { formatEvents } from '../search/format.ts';

interface SearchOptions {
  service?: string;
  level?: string;
  since?: string;
  from?: string;
  to?: string;
  limit: string;
  output: 'pretty' | 'json' | 'ndjson';
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
  if (o.since && (o.from || o.to)) throw usage('use --since or --from/--to, not both');
  if (o.since) {
    const ms = parseDuration(o.since);
    if (ms === undefined) throw usage(`--since "${o.since}" is not a duration like 15m, 1h or 7d`);
    params.set('from', new Date(now - ms).toISOString());
  }
  for (const key of ['from', 'to'] as const) {
    const v = o[key];
    if (!v) continue;
    try {
      params.set(key, new Date(parseTimeBound(v, now)).toISOString());
    } catch (err) {
      throw usage(`--${key}: ${(err as Error).message}`);
    }
  }
  const limit = Number(o.limit);
  if (!Number.isInteger(limit) || limit < 1) throw usage('--limit must be a whole number of at least 1');
  return { params, limit };
}

export async function search(text: string[], o: SearchOptions): Promise<number> {
  const settings = loadSettings(process.env, { LOGFLOW_URL: o.url, LOGFLOW_API_KEY: o.apiKey });
  const { params, limit } = searchParams(text, o);
  const client = new LogFlowClient(settings.LOGFLOW_URL, settings.LOGFLOW_API_KEY, 1);
  const colour = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  // pretty and ndjson stream page by page; json is one array, so it is printed at the end.
  const forJson: LogEvent[] = [];
  let count = 0;
  try {
    // Page through the server (at most MAX_LIMIT a page) until the limit or the last page.
    for (let cursor: string | null = null; count < limit; ) {
      params.set('limit', String(Math.min(MAX_LIMIT, limit - count)));
      if (cursor) params.set('cursor', cursor);
      const page = await client.search(params);
      count += page.hits.length;
      if (o.output === 'json') forJson.push(...page.hits);
      else if (page.hits.length) process.stdout.write(formatEvents(page.hits, o.output, colour));
      cursor = page.next_cursor;
      if (!cursor || !page.hits.length) break;
    }
  } finally {
    await client.close();
  }
  if (o.output === 'json' && count) process.stdout.write(formatEvents(forJson, 'json', false));
  if (!count) process.stderr.write('no logs matched\n');
  return 0;
}
