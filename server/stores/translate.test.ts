import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileQuery } from '../../shared/query/evaluate.ts';
import { parseQuery } from '../../shared/query/parse.ts';
import { FIXTURE } from '../../test/search-fixture.ts';
import { histogramBody, namesBody, valuesBody } from './opensearch/aggregate.ts';
import { toSearchBody } from './opensearch/query.ts';
import { fieldsSql, histogramSql } from './postgres/aggregate.ts';
import { toSql } from './postgres/query.ts';

// Any text a user can type becomes a query every store can run: parsing never fails, translating never
// fails, and no store's own query parser ever sees the text (query_string, websearch_to_tsquery).
describe('when any text is searched', () => {
  it('does parse and translate for OpenSearch, PostgreSQL and live tail without throwing', () => {
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.array(fc.constantFrom('a', 'b:', ':', '"', '-', '*', '>=', '<', '1', '.', ' ', 'OR', 'NOT', 'level:', 'x.y', '\\', '='), { maxLength: 30 }).map((p) => p.join('')));
    fc.assert(
      fc.property(text, (t) => {
        const query = parseQuery(t);
        const scope = { projectId: 1, query, fromMs: 0, toMs: 1000 };
        const os = JSON.stringify(toSearchBody({ ...scope, limit: 10 }));
        expect(os).not.toMatch(/query_string|simple_query_string|"regexp"|"wildcard"|"script"/);
        const pg = toSql({ ...scope, limit: 10 });
        // plainto_tsquery, for rows older than the search column, takes any text without failing.
        expect(pg.text).not.toMatch(/websearch_to_tsquery|phraseto_tsquery|(?<!plain)to_tsquery\(/);
        histogramBody({ ...scope, intervalMs: 60_000 });
        histogramSql({ ...scope, intervalMs: 60_000 });
        const fields = { ...scope, sample: 100, values: 5 };
        fieldsSql(fields);
        namesBody([], fields);
        valuesBody([], fields, [t]);
        const matches = compileQuery(query);
        for (const e of FIXTURE.slice(0, 5)) expect(typeof matches(e)).toBe('boolean');
      }),
      { numRuns: 3000 },
    );
  });
});
