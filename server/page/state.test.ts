import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseQuery } from '../../shared/query/parse.ts';
import { fieldTerm, hasTerm, isRelative, quoteValue, readState, scopeParams, toggleTerm, writeState } from './state.ts';

describe('when the page reads and writes its URL', () => {
  it('keeps the whole state, so a link shows the same results', () => {
    const state = { q: 'level:ERROR "card declined"', from: '2026-11-01T10:00:00.000Z', to: '2026-11-01T11:00:00.000Z', live: false };
    expect(readState(writeState(state))).toEqual(state);
    expect(readState(writeState({ q: '', from: '15m', to: '', live: true }))).toEqual({ q: '', from: '15m', to: '', live: true });
  });

  it('shows the last hour when a link names no range', () => {
    expect(readState('')).toEqual({ q: '', from: '1h', to: '', live: false });
    expect(readState('?to=2026-11-01T11:00:00Z').from).toBe('');
  });

  it('folds the exact-value parameters of the API into the query, where a person sees them', () => {
    expect(readState('?q=timeout&service=checkout&trace_id=abc&level=WARN,ERROR').q).toBe('timeout service:checkout level:WARN OR level:ERROR trace_id:abc');
  });

  it('asks the API for the same scope', () => {
    expect(scopeParams({ q: 'x', from: '15m', to: '', live: true }).toString()).toBe('q=x&from=15m');
  });

  it('tells a range that moves with the clock from two instants', () => {
    expect(isRelative({ q: '', from: '2h', to: '', live: false })).toBe(true);
    expect(isRelative({ q: '', from: '2026-11-01T10:00:00Z', to: '', live: false })).toBe(false);
    expect(isRelative({ q: '', from: '1h', to: '2026-11-01T10:00:00Z', live: false })).toBe(false);
  });
});

describe('when a facet adds a term to the query', () => {
  it('writes a value bare when the grammar reads it back as it is, and quoted otherwise', () => {
    expect(quoteValue('checkout')).toBe('checkout');
    expect(quoteValue('500')).toBe('500');
    expect(quoteValue('Ann Lee')).toBe('"Ann Lee"');
    expect(quoteValue('say "hi" \\o/')).toBe('"say \\"hi\\" \\\\o/"');
    expect(quoteValue('web-*')).toBe('"web-*"');
    expect(quoteValue('>=5')).toBe('">=5"');
    expect(quoteValue('/api/v1')).toBe('"/api/v1"');
    expect(quoteValue('')).toBe('""');
  });

  it('finds exactly the value clicked, whatever it holds', () => {
    const key = fc.stringMatching(/^[a-z_][a-z0-9_.]{0,12}$/).filter((k) => !['message', 'msg', 'level'].includes(k));
    fc.assert(
      fc.property(key, fc.string(), fc.boolean(), (k, value, negate) => {
        const query = parseQuery(`other ${fieldTerm(k, value, negate)}`);
        const clause = query.all[1]![0]!;
        expect(clause.negate).toBe(negate);
        expect(clause.term).toMatchObject({ kind: 'field', value: value.replace(/\0|[\uD800-\uDFFF]/g, '\uFFFD'), prefix: false });
      }),
      { numRuns: 500 },
    );
  });

  it('adds the term, takes it out on a second click, and swaps it for its opposite', () => {
    let q = toggleTerm('timeout', 'service', 'checkout');
    expect(q).toBe('timeout service:checkout');
    expect(hasTerm(q, 'service', 'checkout')).toBe(true);
    q = toggleTerm(q, 'user.name', 'Ann Lee', true);
    expect(q).toBe('timeout service:checkout -user.name:"Ann Lee"');
    expect(toggleTerm(q, 'user.name', 'Ann Lee', false)).toBe('timeout service:checkout user.name:"Ann Lee"');
    expect(toggleTerm(q, 'service', 'checkout')).toBe('timeout -user.name:"Ann Lee"');
    expect(toggleTerm('"a b" service:x', 'service', 'x')).toBe('"a b"');
  });
});
