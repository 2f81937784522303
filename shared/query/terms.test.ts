import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { documentTerms, eventTerms } from './event-terms.ts';
import { compareBytes } from './search.ts';
import { encodeNumber, fieldTerm, MAX_POSITIONS, splitFieldTerm, tokenize } from './terms.ts';

describe('when cutting text into words', () => {
  it('does split at anything but letters, digits and underscore, lowercased', () => {
    expect(tokenize('Req-123 api.example.com user_id=42 Grüße')).toEqual(['req', '123', 'api', 'example', 'com', 'user_id', '42', 'grüße']);
  });

  it('does make each Han or kana character a word, and cut very long runs', () => {
    expect(tokenize('支付失败 ok')).toEqual(['支', '付', '失', '败', 'ok']);
    expect(tokenize('a'.repeat(250)).map((t) => t.length)).toEqual([100, 100, 50]);
  });
});

describe('when making field and number terms', () => {
  it('does escape paths so the first bare "=" ends them', () => {
    for (const [path, value] of [['a=b', 'c'], ['a', 'b=c'], ['x\\', '=y'], ['', '']]) {
      expect(splitFieldTerm(fieldTerm(path!, value!))).toEqual({ path, value });
    }
    expect(fieldTerm('a=b', 'c')).not.toBe(fieldTerm('a', 'b=c'));
  });

  it('does encode numbers so that their text order is their numeric order', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), fc.double({ noNaN: true }), (a, b) => {
        const order = Math.sign(compareBytes(encodeNumber(a), encodeNumber(b)));
        expect(order).toBe(a === b ? 0 : a < b ? -1 : 1);
      }),
      { numRuns: 5000 },
    );
    expect(encodeNumber(-0)).toBe(encodeNumber(0));
  });
});

describe('when finding what an event is searched by', () => {
  const event = { event_id: 'e', project_id: 1, timestamp: '2026-11-01T00:00:00.000Z', ingest_ts: '2026-11-01T00:00:00.000Z', service: 'api', level: 'INFO' as const, message: 'hello world' };

  it('does take words from the message, the text fields and metadata strings, one gap between values', () => {
    const t = eventTerms({ ...event, request_id: 'req-1', metadata: { err: { message: 'card declined' }, n: 5 } });
    expect(t.values).toEqual([['hello', 'world'], ['api'], ['req', '1'], ['card', 'declined']]);
    expect(t.positions.get('card')).toEqual([9]);
    expect(t.fields).toEqual(['err.message=card declined', 'n=5']);
    expect(t.fieldNames).toEqual(['err.message', 'n']);
  });

  it('does stop at the position PostgreSQL keeps last, and walk deep metadata without recursion', () => {
    const t = eventTerms({ ...event, message: 'w '.repeat(MAX_POSITIONS + 10) });
    expect(Math.max(...[...t.positions.values()].flat())).toBeLessThanOrEqual(MAX_POSITIONS);
    let deep: Record<string, unknown> = { leaf: 'bottom' };
    for (let i = 0; i < 10_000; i++) deep = { d: deep };
    expect(() => eventTerms({ ...event, metadata: deep })).not.toThrow();
  });

  it('does cut the longest value when the budget runs out, never a short one beside it', () => {
    const t = eventTerms({ ...event, message: 'long '.repeat(MAX_POSITIONS), metadata: { blob: 'x '.repeat(MAX_POSITIONS), request: 'req-42' } });
    expect(t.positions.get('api')).toEqual([1]);
    expect(t.positions.get('req')).toEqual([3]);
    expect(t.positions.get('42')).toEqual([4]);
    expect(t.positions.get('x')).toHaveLength(256);
    expect(t.positions.has('long')).toBe(false);
  });

  it('does read shortest first however few characters the long value has (Han: a word each)', () => {
    const t = eventTerms({ ...event, message: '失'.repeat(MAX_POSITIONS + 100), metadata: { request: 'req-42' } });
    expect(t.positions.get('42')).toBeDefined();
    expect(documentTerms({ ...event, message: '失'.repeat(MAX_POSITIONS + 100), metadata: { request: 'req-42' } }).values.slice(0, 3)).toEqual([['api'], ['req', '42'], expect.any(Array)]);
  });
});

describe('when an OpenSearch document takes the terms without positions', () => {
  const event = { event_id: 'e', project_id: 1, timestamp: '2026-11-01T00:00:00.000Z', ingest_ts: '2026-11-01T00:00:00.000Z', service: 'api', level: 'INFO' as const, message: '' };
  const word = fc.oneof(fc.constantFrom('a', 'pay', 'req-1', '失败', 'x'.repeat(120), 'Grüße', '', ' '), fc.string({ maxLength: 12 }));
  const text = fc.oneof(fc.array(word, { maxLength: 40 }).map((w) => w.join(' ')), fc.tuple(word, fc.integer({ min: 200, max: 20_000 })).map(([w, n]) => `${w} `.repeat(n)));

  it('does hold the same values, fields and numbers as eventTerms, cut at the same word', () => {
    fc.assert(
      fc.property(text, fc.dictionary(fc.constantFrom('a', 'b.c', 'n', 'tags'), fc.oneof(text, fc.integer(), fc.array(text, { maxLength: 3 }))), (message, metadata) => {
        const e = { ...event, message, metadata };
        const { positions: _p, pairs: _q, ...expected } = eventTerms(e);
        expect(documentTerms(e)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe('when a text is ASCII alone', () => {
  it('does cut the same words as the Unicode rules do', () => {
    const chars = 'aZ09_-. /=:"\'\\\t\n{}[]';
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let n = 0; n < 2000; n++) {
      let text = '';
      const length = next() % 300;
      for (let i = 0; i < length; i++) text += next() % 9 === 0 ? 'x'.repeat(next() % 140) : chars[next() % chars.length];
      // A non-ASCII word at the end takes the Unicode way; its own word comes last.
      expect(tokenize(text)).toEqual(tokenize(`${text} é`).slice(0, -1));
    }
  });
});
