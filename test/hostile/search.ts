// The GET routes (search, histogram, fields, tail): every bad parameter is a 400 naming it, any query
// text reads (parsing never fails), and nothing a client sends is a 500. Sent to every server of the
// run, so both search backends (OpenSearch and PostgreSQL) answer them.
import fc from 'fast-check';
import { logflowAnswer } from './answers.ts';
import type { CaseContext, Endpoint, HostileClass, HttpCase } from './types.ts';

const ROUTES = ['/search', '/search/histogram', '/search/fields'];
const b64url = (s: string) => Buffer.from(s).toString('base64url');

function get(ctx: CaseContext, className: string, route: string, params: [string, string][] | string, expect?: number[], headers?: Record<string, string>): HttpCase {
  const query = typeof params === 'string' ? params : new URLSearchParams(params).toString();
  return { kind: 'http', class: className, method: 'GET', path: `${route}${query ? `?${query}` : ''}`, headers: headers ?? { 'x-api-key': ctx.keys.hostile }, expect };
}

function times(ctx: CaseContext): string[] {
  return ['99999999999999d', '1e300', '-1', '0', '', 'soon', '2026-02-30T00:00:00Z', '9999999-01-01', '-271822-01-01T00:00:00Z', '275760-09-13T00:00:01Z', '1h', '15m', '0s', '7d',
    new Date(ctx.now).toISOString(), '2026-11-01', '1970-01-01T00:00:00Z', '1.5h', '1y', 'NaN', '2026-11-01T10:00:00+25:00', '\u0000', '1'.repeat(400)];
}

/** Cursors a client could forge: the server's own shape with values no store holds, and junk. */
function cursors(): string[] {
  return [
    b64url('[1e300,"x"]'), b64url('[-1e300,"x"]'), b64url('[8.64e15,"x"]'), b64url('[8640000000000001,"x"]'), b64url('[1.5,"x"]'), b64url('[1700000000000,null]'), b64url(`[1700000000000,"${'x'.repeat(2000)}"]`),
    b64url('[1700000000000,"a\\u0000b"]'), b64url('[1700000000000,"\\ud800"]'), b64url('[]'), b64url('{}'), b64url('null'), b64url('[1700000000000,"x",1]'), 'abc', '!!!', '%', b64url('[NaN,"x"]'), b64url('[1700000000000,"x"'),
  ];
}

const CLASSES: HostileClass[] = [
  {
    name: 'bad search parameters',
    weight: 6,
    make(ctx) {
      const route = ctx.rng.pick(ROUTES);
      const params = ctx.rng.pick<[string, string][]>([
        [['colour', 'red']], [['limit', '0']], [['limit', '-1']], [['limit', '1e9']], [['limit', 'abc']], [['limit', '1.5']], [['limit', ' ']], [['buckets', '0']], [['buckets', '100000']],
        [['values', '0']], [['values', 'x']], [['level', 'LOUD']], [['level', ',,,']], [['level', '\u0000']], [['q', 'x'], ['q', 'y']], [['q', 'a'.repeat(4001)]], [['service', '\ud800']],
        [['trace_id', 'x'.repeat(10_000)]], [['cursor', '']], [['limit', '1000']], [['level', 'warn,ERROR']], [['service', '']],
        // Queries past what a store takes in one query (OpenSearch: 1,024 clauses): refused, never a 500.
        [['q', Array.from({ length: 1300 }, (_, i) => `w${i % 1000}`).join(' OR ').slice(0, 4000)]], [['q', Array.from({ length: 800 }, (_, i) => `-w${i}`).join(' ').slice(0, 4000)]],
        [['q', Array.from({ length: 8 }, (_, i) => `(-a${i} b${i})`).join(' OR ')]], [['q', `"${'w '.repeat(1999)}"`]], [['q', `${'('.repeat(3999)}a`]], [['q', `${'-('.repeat(1999)}a`]],
      ]);
      return get(ctx, 'bad search parameters', route, params, [200, 400]);
    },
  },
  {
    name: 'bad search times',
    weight: 5,
    make(ctx) {
      const t = times(ctx);
      const params: [string, string][] = ctx.rng.chance(0.5) ? [[ctx.rng.pick(['from', 'to']), ctx.rng.pick(t)]] : [['from', ctx.rng.pick(t)], ['to', ctx.rng.pick(t)]];
      return get(ctx, 'bad search times', ctx.rng.pick(ROUTES), params.filter(([, v]) => v !== ''), [200, 400]);
    },
  },
  {
    name: 'bad cursors',
    weight: 4,
    make(ctx) {
      return get(ctx, 'bad cursors', '/search', [['cursor', ctx.rng.pick(cursors())], ['limit', String(ctx.rng.int(1, 50))]], [200, 400]);
    },
  },
  {
    name: 'random queries (fast-check)',
    weight: 6,
    make(ctx) {
      const words = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('level:>=WARN', '"card declined"', 'err.code:*', '-x', 'a OR', 'OR OR', '((', 'http.status:>=', 'key:"', '*', '-', ':', 'NOT', 'x:y:z', 'timeo*', '\\', '"'));
      const [parts] = fc.sample(fc.array(words, { maxLength: 8 }), { seed: ctx.fcSeed(), numRuns: 1 });
      return get(ctx, 'random queries (fast-check)', ctx.rng.pick(ROUTES), [['q', parts!.join(' ')], ['from', '7d']], [200, 400]);
    },
  },
  {
    name: 'raw and broken query strings',
    weight: 2,
    make(ctx) {
      const query = ctx.rng.pick(['q=%zz', 'q=%', 'q=%E0%A4%A', '&&&', '=x', 'q', 'q=a&&from=1h', 'limit=1&limit=2', `q=${'%41'.repeat(3000)}`, 'q=%00', 'from=%2B1h', 'q=a+b']);
      return get(ctx, 'raw and broken query strings', ctx.rng.pick(ROUTES), query, [200, 400]);
    },
  },
  {
    name: 'search keys',
    weight: 2,
    make(ctx) {
      const headers = ctx.rng.pick<Record<string, string>>([{}, { 'x-api-key': 'lf_wrong' }, { 'x-api-key': ctx.keys.disabled }, { authorization: 'Bearer ' }]);
      return get(ctx, 'search keys', ctx.rng.pick([...ROUTES, '/tail']), [['q', 'x']], [401], headers);
    },
  },
  {
    name: 'bad tail parameters',
    weight: 1,
    make(ctx) {
      // Only refusals: a tail that is accepted never ends.
      const params = ctx.rng.pick<[string, string][]>([[['from', '1h']], [['colour', 'x']], [['level', 'LOUD']], [['q', 'x'], ['q', 'y']], [['limit', '5']]]);
      return get(ctx, 'bad tail parameters', '/tail', params, [400]);
    },
  },
];

export const searchEndpoint: Endpoint = {
  name: 'GET /search*',
  reader: logflowAnswer,
  ok: 200,
  classes: CLASSES,
  valid: (ctx) => get(ctx, 'valid search', ctx.rng.pick(ROUTES), [['q', 'good'], ['from', '1h']], [200]),
};
