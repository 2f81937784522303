// The query tree: what `logflow search`, GET /search, /search/histogram, /search/fields and /tail all
// answer. No store ever sees the user's text: each translates this tree (server/stores/*/query.ts),
// and live tail evaluates it in process (evaluate.ts), all over the same index terms (terms.ts).
import type { Level } from '../levels.ts';

/** The fields every event has as its own (not in metadata); `key:value` on them filters that field. */
export const KNOWN_FIELDS = ['service', 'level', 'host', 'env', 'trace_id', 'request_id', 'span_id', 'event_id'] as const;
export type KnownField = (typeof KNOWN_FIELDS)[number];

export type RangeOp = '>' | '>=' | '<' | '<=';

export type Term =
  /**
   * Words of the event's text (message, the string fields and metadata string values). `tokens` must
   * appear one after the other in one value (a bare word such as "req-123" is the phrase "req 123");
   * `prefix`, when set, must begin some word. `raw` is what the user typed, for older data indexed
   * before these terms existed.
   */
  | { kind: 'text'; tokens: string[]; prefix?: string; raw: string }
  /** A field equals a value (or begins with it: `prefix`). A metadata path is dotted: err.code. */
  | { kind: 'field'; field: string; value: string; prefix: boolean }
  /** A numeric comparison on a metadata path (JSON numbers, and strings that are numbers). */
  | { kind: 'range'; field: string; op: RangeOp; value: number }
  /** The event's level is one of these (empty: no event matches). */
  | { kind: 'level'; levels: Level[] };

export interface Clause {
  negate: boolean;
  term: Term;
}

/** Every group must hold (AND); a group holds when any of its clauses does (OR). */
export interface Query {
  all: Clause[][];
}

export const MATCH_ALL: Query = { all: [] };

/** A query that also requires `clauses`, each on its own (AND). */
export function withClauses(q: Query, clauses: Clause[]): Query {
  return { all: [...q.all, ...clauses.map((c) => [c])] };
}

export function isKnownField(name: string): name is KnownField {
  return (KNOWN_FIELDS as readonly string[]).includes(name);
}
