import type { LogEvent } from '../../../shared/event.ts';
import { eventTerms } from '../../../shared/query/event-terms.ts';

/**
 * Field terms share the `search` tsvector with words; this mark in front keeps them apart, since no
 * word begins with "=" (a prefix query 'pay':* must not find the field payload=x).
 */
export const FIELD_MARK = '=';

/** A lexeme of a tsvector or tsquery literal: quoted, quotes doubled and backslashes escaped, taken as it is. */
export function tsLexeme(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** The two columns search reads, from the event, in the order of SEARCH_COLUMNS. */
export const SEARCH_COLUMNS = ['search', 'nums'] as const;

/**
 * `search`: a tsvector literal of LogFlow's own words with their positions, and (without positions)
 * of the pairs of words that follow each other ("a b": no word holds a space) and of the field
 * terms (=path=value). Cast from text it is taken as written: PostgreSQL's text parser never runs, so
 * the words are exactly the ones OpenSearch indexes. `nums`: the number terms, NULL when none.
 */
export function searchColumns(e: LogEvent): [search: string, nums: string | null] {
  const terms = eventTerms(e);
  const parts: string[] = [];
  for (const [word, positions] of terms.positions) parts.push(`${tsLexeme(word)}:${positions.join(',')}`);
  for (const pair of terms.pairs) parts.push(tsLexeme(pair));
  for (const f of terms.fields) parts.push(tsLexeme(FIELD_MARK + f));
  return [parts.join(' '), terms.numbers.length ? arrayLiteral(terms.numbers) : null];
}

/** A text[] literal, for a column of arrays passed through unnest (which would flatten a JS array of arrays). */
export function arrayLiteral(values: string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}
