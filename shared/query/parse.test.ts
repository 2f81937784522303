import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_QUERY_TERMS, QueryTooComplex } from './boolean.ts';
import { parseQuery } from './parse.ts';
import type { Clause, Term } from './tree.ts';

const only = (text: string): Term => {
  const q = parseQuery(text);
  expect(q.all).toHaveLength(1);
  expect(q.all[0]).toHaveLength(1);
  return q.all[0]![0]!.term;
};
const clauses = (text: string): Clause[] => parseQuery(text).all.flat();

describe('when reading a query', () => {
  it('does read bare words as words that must all appear, each cut as the stores cut them', () => {
    expect(parseQuery('Payment failed').all).toEqual([
      [{ negate: false, term: { kind: 'text', tokens: ['payment'], raw: 'Payment' } }],
      [{ negate: false, term: { kind: 'text', tokens: ['failed'], raw: 'failed' } }],
    ]);
    expect(only('req-123')).toEqual({ kind: 'text', tokens: ['req', '123'], raw: 'req-123' });
  });

  it('does read "quoted phrases", with \\" inside, and an unclosed quote to the end', () => {
    expect(only('"card declined"')).toMatchObject({ tokens: ['card', 'declined'] });
    expect(only('"say \\"hi\\" now"')).toMatchObject({ raw: 'say "hi" now' });
    expect(only('"never closed')).toMatchObject({ tokens: ['never', 'closed'] });
  });

  it('does read word* as a prefix, and -x as an exclusion of anything', () => {
    expect(only('timeo*')).toEqual({ kind: 'text', tokens: [], prefix: 'timeo', raw: 'timeo' });
    expect(only('req-12*')).toEqual({ kind: 'text', tokens: ['req'], prefix: '12', raw: 'req-12' });
    expect(clauses('-healthcheck -host:web-1 -"a b"').map((c) => [c.negate, c.term.kind])).toEqual([
      [true, 'text'],
      [true, 'field'],
      [true, 'text'],
    ]);
  });

  it('does read key:value on known fields (any case) and metadata paths (as written)', () => {
    expect(only('Service:checkout')).toEqual({ kind: 'field', field: 'service', value: 'checkout', prefix: false });
    expect(only('err.code:ECONNRESET')).toEqual({ kind: 'field', field: 'err.code', value: 'ECONNRESET', prefix: false });
    expect(only('User.Name:"Ann Lee"')).toEqual({ kind: 'field', field: 'User.Name', value: 'Ann Lee', prefix: false });
    expect(only('host:web-*')).toEqual({ kind: 'field', field: 'host', value: 'web-', prefix: true });
    expect(only('err:*')).toEqual({ kind: 'field', field: 'err', value: '', prefix: true });
  });

  it('does read comparisons on numbers, and levels by severity', () => {
    expect(only('http.status:>=500')).toEqual({ kind: 'range', field: 'http.status', op: '>=', value: 500 });
    expect(only('latency:<0.25')).toEqual({ kind: 'range', field: 'latency', op: '<', value: 0.25 });
    expect(only('level:>=warn')).toEqual({ kind: 'level', levels: ['WARN', 'ERROR'] });
    expect(only('level:fatal')).toEqual({ kind: 'level', levels: ['ERROR'] });
    expect(only('level:nope')).toEqual({ kind: 'level', levels: [] });
  });

  it('does read OR between terms, NOT before one, and AND as nothing', () => {
    expect(parseQuery('a OR b c').all.map((g) => g.length)).toEqual([2, 1]);
    expect(clauses('NOT a')[0]!.negate).toBe(true);
    expect(clauses('a AND b')).toHaveLength(2);
    expect(parseQuery('OR a OR').all.map((g) => g.length)).toEqual([1]);
  });

  it('does group with parentheses, negate a group, and read as one shape (an AND of OR-groups)', () => {
    const shape = (text: string) => parseQuery(text).all.map((g) => g.map((c) => `${c.negate ? '-' : ''}${c.term.kind === 'text' ? c.term.raw : c.term.kind}`).join('|'));
    expect(shape('(a b) OR c')).toEqual(['a|c', 'b|c']);
    expect(shape('-(a OR b) c')).toEqual(['-a', '-b', 'c']);
    expect(shape('NOT (a -b)')).toEqual(['-a|b']);
    expect(shape('(a OR (b c)) d')).toEqual(['a|b', 'a|c', 'd']);
    expect(shape('(a OR level:ERROR)')).toEqual(['a|level']);
    // A parenthesis never closed closes at the end; one never opened, and one inside a word, are punctuation.
    expect(shape('((a b')).toEqual(['a', 'b']);
    expect(shape('a) b')).toEqual(['a)', 'b']);
    expect(shape('(f(x) OR y)')).toEqual(['f(x)|y']);
    expect(only('(service:web)')).toEqual({ kind: 'field', field: 'service', value: 'web', prefix: false });
    expect(only('("a b")')).toMatchObject({ tokens: ['a', 'b'] });
    expect(parseQuery('() -() (OR)').all).toEqual([]);
    // Groups 32 deep at most: past that a "(" is punctuation, so no query can exhaust the stack.
    const words = (text: string) => parseQuery(text).all.map((g) => g.map((c) => `${c.negate ? '-' : ''}${c.term.kind === 'text' ? c.term.tokens.join(' ') : c.term.kind}`).join('|'));
    expect(words(`${'('.repeat(5000)}a OR b${')'.repeat(5000)} c`)).toEqual(['a|b', 'c']);
    expect(words(`${'-('.repeat(3000)}a`)).toEqual(['-a']); // 32 groups negated, then "-" before a word
  });

  it('does read key:(a OR b) as values of that key, negated, nested and quoted alike', () => {
    expect(only('level:(ERROR)')).toEqual({ kind: 'level', levels: ['ERROR'] });
    expect(parseQuery('level:(ERROR OR WARN)').all).toEqual([[{ negate: false, term: { kind: 'level', levels: ['ERROR'] } }, { negate: false, term: { kind: 'level', levels: ['WARN'] } }]]);
    expect(clauses('-service:(api OR web)')).toEqual([
      { negate: true, term: { kind: 'field', field: 'service', value: 'api', prefix: false } },
      { negate: true, term: { kind: 'field', field: 'service', value: 'web', prefix: false } },
    ]);
    expect(clauses('user.name:("Ann Lee" OR bob*) http.status:(>=500)').map((c) => c.term)).toEqual([
      { kind: 'field', field: 'user.name', value: 'Ann Lee', prefix: false },
      { kind: 'field', field: 'user.name', value: 'bob', prefix: true },
      { kind: 'range', field: 'http.status', op: '>=', value: 500 },
    ]);
    // A group inside is of the same key; a key:value inside keeps its own key.
    expect(clauses('service:(api OR (web level:ERROR))').map((c) => c.term.kind)).toEqual(['field', 'field', 'field', 'level']);
  });

  it('does refuse, with a reason, a query past the cap on terms, flat or expanded from groups', () => {
    const groups = (n: number) => Array.from({ length: n }, (_, i) => `(a${i} b${i})`).join(' OR ');
    expect(parseQuery(groups(5)).all).toHaveLength(32);
    expect(() => parseQuery(groups(6))).toThrow(QueryTooComplex);
    const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');
    expect(parseQuery(words(MAX_QUERY_TERMS)).all).toHaveLength(MAX_QUERY_TERMS);
    expect(() => parseQuery(words(MAX_QUERY_TERMS + 1))).toThrow(/more than 300 terms/);
    expect(() => parseQuery(`"${words(MAX_QUERY_TERMS + 1)}"`)).toThrow(QueryTooComplex);
  });

  it('does search what is no syntax as words', () => {
    expect(only('http://example.com/x')).toMatchObject({ kind: 'text', tokens: ['http', 'example', 'com', 'x'] });
    expect(only('std::vector')).toMatchObject({ kind: 'text', tokens: ['std', 'vector'] });
    expect(only('10:30:00')).toMatchObject({ kind: 'text', tokens: ['10', '30', '00'] });
    expect(only('status:>abc')).toMatchObject({ kind: 'text', tokens: ['status', 'abc'] });
    expect(clauses('ERROR: boom').map((c) => c.term.kind)).toEqual(['text', 'text']);
    expect(parseQuery('-- | ( * "').all).toEqual([]);
  });

  it('does never fail, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const q = parseQuery(text);
        for (const c of q.all.flat()) expect(['text', 'field', 'range', 'level']).toContain(c.term.kind);
      }),
      { numRuns: 2000 },
    );
  });
});
