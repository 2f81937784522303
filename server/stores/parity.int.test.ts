import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_QUERY_TERMS } from '../../shared/query/boolean.ts';
import { compileQuery } from '../../shared/query/evaluate.ts';
import { parseQuery } from '../../shared/query/parse.ts';
import { FIXTURE } from '../../test/search-fixture.ts';
import { openSearchStores, type SearchStores } from '../../test/search-stores.ts';

// The same query gives the same hits from OpenSearch, from PostgreSQL and from live tail's in-process
// evaluation, over the same events written through the real sinks. Where a hit set is spelled out, it
// is what a user would expect; the rest must only agree across the three.

let stores: SearchStores;

beforeAll(async () => {
  stores = await openSearchStores(FIXTURE);
});

afterAll(async () => {
  await stores?.close();
});

const ids = (list: { event_id: string }[]) => list.map((e) => e.event_id).sort();

/** The ids each backend and the evaluator find for `text` in project 1. */
async function answers(text: string, projectId = 1): Promise<Record<string, string[]>> {
  const query = parseQuery(text);
  const out: Record<string, string[]> = {};
  for (const b of stores.backends) out[b.name] = ids((await b.search.search({ projectId, query, limit: 1000 })).hits);
  const matches = compileQuery(query);
  out.evaluate = ids(FIXTURE.filter((e) => e.project_id === projectId && matches(e)));
  return out;
}

async function agreed(text: string): Promise<string[]> {
  const a = await answers(text);
  expect({ query: text, opensearch: a.opensearch, postgres: a.postgres }).toEqual({ query: text, opensearch: a.evaluate, postgres: a.evaluate });
  return a.evaluate!;
}

const EXPECTED: [query: string, ids: string[]][] = [
  // words: message, metadata strings (err.message, err.stack) and the text fields alike
  ['card declined', ['pino-err']],
  ['"card declined"', ['pino-err']],
  ['declined card', ['pino-err']],
  ['"declined card"', []],
  ['req-123', ['pino-err']],
  ['req-1234', ['hyphen']],
  // "pay" as a word: pay-service, /api/v1/pay and pay.js in a stack trace have it; payment does not.
  ['pay', ['hyphen', 'pay-words', 'pino-err']],
  ['pay*', ['hyphen', 'pay-words', 'payment', 'pino-err']],
  ['payment*', ['payment']],
  ['req-12*', ['hyphen', 'pino-err']],
  ['CardError', ['pino-err']],
  ['pay.js', ['pino-err']],
  ['grüße', ['unicode']],
  ['İSTANBUL', ['unicode']],
  ['支付', ['unicode']],
  ['"失败"', ['unicode']],
  ['заказ', ['unicode']],
  ['-healthcheck -socket -span', ['control', 'hyphen', 'huge', 'logfmt', 'long-token', 'long-value', 'odd-keys', 'pay-words', 'payment', 'pino-err', 'repeated', 'unicode']],
  ['socket -reset', ['dotted']],
  // Past the word budget: the end of the longest value is cut, the short value beside it is not.
  ['needle', []],
  ['haystack', ['huge']],
  ['filler', ['huge']],
  ['"spam eggs"', []],
  ['eggs', ['repeated']],
  [`${'x'.repeat(250)}`, ['long-token']],
  [`${'x'.repeat(100)}`, ['long-token']],
  [`${'x'.repeat(99)}`, []],
  ['x*', ['long-token', 'odd-keys']],
  ['two words', ['odd-keys']],
  // the known fields
  ['service:checkout', ['dotted', 'nested', 'pino-err']],
  ['service:check*', ['dotted', 'nested', 'pino-err']],
  ['service:pay-service', ['pay-words']],
  ['-service:checkout service:pay*', ['pay-words', 'payment']],
  ['host:web-1', ['nested', 'pino-err']],
  ['-host:web-1 level:ERROR', ['dotted']],
  ['env:prod', ['logfmt', 'pino-err']],
  ['trace_id:4bf92f3577b34da6a3ce929d0e0e4736', ['pino-err']],
  ['request_id:req-123', ['pino-err']],
  ['request_id:req*', ['hyphen', 'pino-err']],
  ['event_id:otel', ['otel']],
  ['span_id:00f067aa0ba902b7', ['otel']],
  ['span_id:feedface', ['meta-span']],
  ['level:error', ['dotted', 'nested', 'pino-err']],
  ['level:WARNING', ['logfmt']],
  ['level:>=WARN', ['dotted', 'logfmt', 'nested', 'pino-err']],
  ['level:<INFO', ['healthcheck']],
  ['level:err*', ['dotted', 'nested', 'pino-err']],
  ['level:LOUD', []],
  // metadata paths, nested or dotted alike
  ['err.code:ECONNRESET', ['dotted', 'nested']],
  ['err.code:econnreset', []],
  ['err.code:ECONN*', ['dotted', 'nested']],
  ['err.message:"card declined"', ['pino-err']],
  ['err.message:card', []],
  ['user_id:42', ['logfmt', 'pino-err']],
  ['tags:beta', ['pay-words']],
  ['items.sku:B-2', ['pay-words']],
  ['service.version:1.2.3', ['otel']],
  ['a=b:c', []],
  ['"spaced key":x', []],
  ['note:""', ['payment']],
  ['ok:true', ['payment']],
  ['err:*', ['dotted', 'nested', 'pino-err']],
  ['err.code:*', ['dotted', 'nested']],
  ['-err:* -level:INFO', ['healthcheck', 'logfmt']],
  ['blob:*', []],
  ['short:ok', ['long-value']],
  ['city:İstanbul', ['unicode']],
  // numbers, from JSON numbers and from text that is one; key:value is the value as stored
  ['http.status:500', ['pino-err']],
  ['http.status:500.0', []],
  ['http.status:>=500.0 http.status:<=500', ['pino-err']],
  ['http.status:>=500', ['dotted', 'pino-err']],
  ['http.status:>500', ['dotted']],
  ['http.status:<500', ['nested']],
  ['http.status:<=404', ['nested']],
  ['status:>=500', ['logfmt']],
  ['duration:>1', ['logfmt']],
  ['amount:<0', ['payment']],
  ['amount:-12.5', ['payment']],
  ['items.qty:<1', ['pay-words']],
  ['zero:0', ['meta-span']],
  ['big:>1e20', ['meta-span']],
  ['tiny:<=0.1', ['meta-span']],
  ['neg:>-4', ['meta-span']],
  ['-http.status:>=500 service:checkout', ['nested']],
  ['service:>=5', []],
  // OR, NOT, message:, and what is no syntax at all
  ['level:WARN OR level:DEBUG', ['healthcheck', 'logfmt']],
  ['socket OR payment', ['dotted', 'nested', 'payment']],
  ['NOT level:INFO level:>=INFO', ['dotted', 'logfmt', 'nested', 'pino-err']],
  // parentheses: groups, a negated group, a group in an OR, and parentheses that are punctuation
  ['(socket OR payment) level:ERROR', ['dotted', 'nested']],
  ['(service:checkout level:ERROR) OR env:staging', ['dotted', 'nested', 'payment', 'pino-err']],
  ['-(service:checkout OR service:api) level:>=INFO', ['logfmt', 'pay-words', 'payment']],
  ['NOT (level:INFO service:api) service:api', ['healthcheck']],
  ['((err.code:ECONNRESET http.status:>=500) OR request_id:req*)', ['dotted', 'hyphen', 'pino-err']],
  ['level:(WARN OR DEBUG)', ['healthcheck', 'logfmt']],
  ['-service:(checkout OR api) level:>=INFO', ['logfmt', 'pay-words', 'payment']],
  ['http.status:(>=503 OR 404)', ['dotted', 'nested']],
  ['err.code:(ECONN* "x y")', []],
  ['(charge', ['pino-err']],
  ['charge)', ['pino-err']],
  ['message:charge', ['pino-err']],
  ['msg:"socket closed"', ['dotted']],
  ['curl/8.0', ['hyphen']],
  ['http://x/api/v1/pay', []],
  ['10.0.0.1', ['hyphen']],
  ['/api/v1/pay', ['hyphen']],
  ['31mred', ['control']],
];

describe('when the same query goes to OpenSearch, PostgreSQL and live tail', () => {
  it.each(EXPECTED)('does find, for %j, the events a user expects, the same everywhere', async (text, expected) => {
    expect(await agreed(text)).toEqual([...expected].sort());
  });

  // At the cap on terms (boolean.ts) every store still answers: OpenSearch refuses queries of more
  // than 1,024 clauses, nested or not.
  const n = (k: number, term: (i: number) => string, join = ' ') => Array.from({ length: k }, (_, i) => term(i)).join(join);
  it.each([
    ['words', n(MAX_QUERY_TERMS - 1, (i) => `w${i}`) + ' charge'],
    ['words OR', n(MAX_QUERY_TERMS, (i) => `w${i}`, ' OR ')],
    ['exclusions', n(MAX_QUERY_TERMS, (i) => `-w${i}`)],
    ['a phrase', `"${n(MAX_QUERY_TERMS, (i) => `w${i}`)}"`],
    ['prefixes', n(MAX_QUERY_TERMS / 2, (i) => `req-w${i}*`, ' OR ')],
    ['levels', n(MAX_QUERY_TERMS / 6, () => 'level:>=TRACE', ' OR ')],
    ['fields that are there', n(MAX_QUERY_TERMS / 2, (i) => `k${i}:*`, ' OR ')],
    ['comparisons', n(MAX_QUERY_TERMS, (i) => `k${i}:>=${i}`, ' OR ')],
    ['groups', n(5, (i) => `(a${i} b${i})`, ' OR ')],
    ['negated groups', n(5, (i) => `(-a${i} -b${i})`, ' OR ')],
  ])('does answer a query at the cap on terms (%s), the same everywhere', async (_shape, text) => {
    await agreed(text);
  });

  it('does never show one project the events of another', async () => {
    expect(await agreed('charge failed')).toEqual(['pino-err']);
    const two = await answers('req-123', 2);
    expect(two).toEqual({ opensearch: ['other-project'], postgres: ['other-project'], evaluate: ['other-project'] });
  });

  it('does agree on queries nobody wrote by hand', async () => {
    // Pieces of the syntax and of the fixture's words, put together at random: every operator meets the others.
    const piece = fc.constantFrom(
      'card', 'declined', '"card declined"', 'pay*', 'req-123', 'socket', '-socket', 'service:checkout', '-service:api', 'level:ERROR',
      'level:>=WARN', 'err.code:ECONNRESET', 'http.status:>=500', 'http.status:<500', 'user_id:42', 'OR', 'NOT', 'tags:alpha', 'host:web-*',
      '-env:prod', 'err:*', 'spam', '支付', 'amount:<0', ':', '"', '-', '*', 'x:>', 'ok:true',
    );
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { minLength: 1, maxLength: 5 }), async (parts) => {
        const a = await answers(parts.join(' '));
        expect(a.opensearch).toEqual(a.evaluate);
        expect(a.postgres).toEqual(a.evaluate);
      }),
      { numRuns: 150, seed: 20261101 },
    );
  });

  it('does answer any text at all without failing, in both stores', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 60 }), async (text) => {
        const a = await answers(text);
        expect(a.opensearch).toEqual(a.evaluate);
        expect(a.postgres).toEqual(a.evaluate);
      }),
      { numRuns: 100, seed: 7 },
    );
  });
});
