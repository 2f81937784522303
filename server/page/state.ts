// The page's whole state lives in its URL (`/?q=…&from=…&to=…&live=1`), so a link shows the same
// results. Pure functions: tested without a browser (state.test.ts).
import { parseDuration } from '../../shared/duration.ts';

export interface PageState {
  /** The query, in the syntax of README "The query". */
  q: string;
  /** ISO 8601, or a duration ago ("15m"), as GET /search takes it. */
  from: string;
  /** ISO 8601, or '' for "until now". */
  to: string;
  live: boolean;
}

export const RELATIVE_RANGES = [
  { from: '15m', label: 'Last 15 minutes' },
  { from: '1h', label: 'Last 1 hour' },
  { from: '24h', label: 'Last 24 hours' },
  { from: '7d', label: 'Last 7 days' },
  { from: '30d', label: 'Last 30 days' },
] as const;

export const DEFAULT_FROM = '1h';

/** Exact-value parameters of the API that a link may carry: folded into the query, where a person sees them. */
const FOLDED = ['service', 'level', 'trace_id', 'request_id'] as const;

export function readState(search: string): PageState {
  const p = new URLSearchParams(search);
  let q = p.get('q') ?? '';
  for (const key of FOLDED) {
    const value = p.get(key);
    if (!value) continue;
    // level=WARN,ERROR is a list; the others are one value.
    const term = key === 'level' ? value.split(',').map((v) => fieldTerm(key, v.trim())).join(' OR ') : fieldTerm(key, value);
    q = q ? `${q} ${term}` : term;
  }
  const from = p.get('from') ?? '';
  const to = p.get('to') ?? '';
  return { q, from: from || (to ? '' : DEFAULT_FROM), to, live: p.get('live') === '1' };
}

export function writeState(s: PageState): string {
  const p = new URLSearchParams();
  if (s.q) p.set('q', s.q);
  if (s.from) p.set('from', s.from);
  if (s.to) p.set('to', s.to);
  if (s.live) p.set('live', '1');
  const text = p.toString();
  return text ? `?${text}` : '';
}

/** The scope parameters every search route takes, for this state. */
export function scopeParams(s: PageState): URLSearchParams {
  const p = new URLSearchParams({ q: s.q });
  if (s.from) p.set('from', s.from);
  if (s.to) p.set('to', s.to);
  return p;
}

/** A range that moves with the clock ("the last hour"), rather than two instants. */
export function isRelative(s: PageState): boolean {
  return s.to === '' && parseDuration(s.from) !== undefined;
}

/** A value as the grammar reads it back unchanged: bare when it can be, quoted (with \" and \\) otherwise. */
export function quoteValue(value: string): string {
  // Bare is read as-is only without spaces, quotes or backslashes, a trailing * (a prefix), a leading
  // comparison (a range), a leading ':' or '/' (after which `key:` reads as words: `http://x`), a
  // leading '(' (a group of values) or a ')' (which would close a group the query left open).
  const bare = value !== '' && !/[\s"\\)]/u.test(value) && !value.endsWith('*') && !/^[<>:/(]/.test(value);
  return bare ? value : `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export function fieldTerm(key: string, value: string, negate = false): string {
  return `${negate ? '-' : ''}${key}:${quoteValue(value)}`;
}

/**
 * The query with `key:value` (or `-key:value`) added, as a facet click adds it. When the query already
 * has that term, or its opposite, the term is taken out instead: a second click undoes the first.
 */
export function toggleTerm(q: string, key: string, value: string, negate = false): string {
  const term = fieldTerm(key, value, negate);
  const opposite = fieldTerm(key, value, !negate);
  const pieces = splitTerms(q);
  if (pieces.includes(term)) return pieces.filter((p) => p !== term).join(' ');
  const kept = pieces.filter((p) => p !== opposite);
  return [...kept, term].join(' ');
}

/** Whether the query has exactly this term (so a facet can show it is applied). */
export function hasTerm(q: string, key: string, value: string, negate = false): boolean {
  return splitTerms(q).includes(fieldTerm(key, value, negate));
}

/** The query cut at spaces outside quotes: enough to find and remove terms this page wrote. */
function splitTerms(q: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < q.length; i++) {
    const c = q[i]!;
    if (quoted && c === '\\' && i + 1 < q.length) {
      current += c + q[++i];
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (!quoted && /\s/u.test(c)) {
      if (current) out.push(current);
      current = '';
    } else current += c;
  }
  if (current) out.push(current);
  return out;
}
