import type { LogEvent } from '../event.ts';
import { eventTerms, type EventTerms } from './event-terms.ts';
import { escapePath, fieldTerm, numberTerm, numberTermBounds } from './terms.ts';
import type { Clause, Query, Term } from './tree.ts';

// The query tree evaluated in process (live tail), over the same terms the stores index, so that an
// event shown by `--follow` is one a search would find, and the other way round. The parity tests
// hold this to the same answers as OpenSearch and PostgreSQL.

/** Fields the stores keep as columns (PostgreSQL) or keywords of their own (OpenSearch). */
export const COLUMN_FIELDS = ['service', 'host', 'env', 'trace_id', 'request_id', 'event_id'] as const;
type ColumnField = (typeof COLUMN_FIELDS)[number];

export function isColumnField(field: string): field is ColumnField {
  return (COLUMN_FIELDS as readonly string[]).includes(field);
}

/** A matcher for one query: compile once, then test each event. */
export function compileQuery(q: Query): (event: LogEvent) => boolean {
  return (event) => {
    let terms: EventTerms | undefined;
    const lazyTerms = () => (terms ??= eventTerms(event));
    return q.all.every((group) => group.some((c) => holds(c, event, lazyTerms)));
  };
}

function holds(c: Clause, event: LogEvent, terms: () => EventTerms): boolean {
  return matchesTerm(c.term, event, terms) !== c.negate;
}

function matchesTerm(t: Term, event: LogEvent, terms: () => EventTerms): boolean {
  switch (t.kind) {
    case 'level':
      return t.levels.includes(event.level);
    case 'text':
      return hasPhrase(terms().positions, t.tokens) && (t.prefix === undefined || hasPrefix(terms().positions, t.prefix));
    case 'field': {
      if (isColumnField(t.field)) {
        const v = event[t.field];
        return typeof v === 'string' && (t.prefix ? v.startsWith(t.value) : v === t.value);
      }
      const { fields } = terms();
      if (isExists(t)) {
        const [own, below] = existsPrefixes(t.field);
        return fields.some((f) => f.startsWith(own) || f.startsWith(below));
      }
      // The value as stored: a number as JavaScript writes it (500, 1.5), so http.status:500 finds
      // 500 and "500" alike; numeric equality whatever the spelling is http.status:>=500 http.status:<=500.
      const term = fieldTerm(t.field, t.value);
      return t.prefix ? fields.some((f) => f.startsWith(term)) : fields.includes(term);
    }
    case 'range': {
      if (isColumnField(t.field)) return false;
      const { lo, hi, loOpen, hiOpen } = rangeBounds(t.field, t.op, t.value);
      return terms().numbers.some((n) => (loOpen ? n > lo : n >= lo) && (hiOpen ? n < hi : n <= hi));
    }
  }
}

/** `key:*`: the event has the path, or a path below it (err:* for err.code), as OpenSearch's exists reads an object. */
export function isExists(t: Term): boolean {
  return t.kind === 'field' && t.prefix && t.value === '';
}

/** The term prefixes of a path's own values and of the paths below it. */
export function existsPrefixes(field: string): [own: string, below: string] {
  return [fieldTerm(field, ''), `${escapePath(field)}.`];
}

/** The term bounds of a comparison; both ends compare as text (C collation, byte order). */
export function rangeBounds(field: string, op: '>' | '>=' | '<' | '<=', value: number): { lo: string; hi: string; loOpen: boolean; hiOpen: boolean } {
  const { min, max } = numberTermBounds(field);
  const at = numberTerm(field, value);
  if (op === '>' || op === '>=') return { lo: at, hi: max, loOpen: op === '>', hiOpen: false };
  return { lo: min, hi: at, loOpen: false, hiOpen: op === '<' };
}

function hasPhrase(positions: Map<string, number[]>, tokens: string[]): boolean {
  if (!tokens.length) return true;
  const first = positions.get(tokens[0]!);
  if (!first) return false;
  const rest = tokens.slice(1).map((t) => positions.get(t));
  if (rest.some((p) => !p)) return false;
  return first.some((p) => rest.every((list, i) => list!.includes(p + i + 1)));
}

function hasPrefix(positions: Map<string, number[]>, prefix: string): boolean {
  for (const word of positions.keys()) if (word.startsWith(prefix)) return true;
  return false;
}
