// What a query with parentheses means, as the one shape every store translates (tree.ts): an AND of
// OR-groups of terms. `(a b) OR c` is `(a OR c) (b OR c)`; `-(a OR b)` is `-a -b`. Distributing can
// grow a query without bound, and a store has limits of its own: OpenSearch 2.19 (1,024 clauses) failed,
// with a 500, on 512 exclusions, on 1,024 words, and on 896 exclusions expanded from seven groups. So
// every query is capped well below those: one past the cap is refused with a reason, for every store
// and live tail alike.
import type { Clause, Term } from './tree.ts';

export type Expr = { op: 'and' | 'or'; of: Expr[] } | { op: 'not'; of: Expr } | { op: 'term'; clause: Clause };

/** Terms a query may hold once its groups are expanded: each word, prefix, field value, comparison and level counts one. */
export const MAX_QUERY_TERMS = 300;

export class QueryTooComplex extends Error {}

/** The AND of OR-groups `e` means; `negated` for NOT e (negations are pushed down to the terms). */
export function toGroups(e: Expr, negated = false): Clause[][] {
  if (e.op === 'term') return [[negated ? { ...e.clause, negate: !e.clause.negate } : e.clause]];
  if (e.op === 'not') return toGroups(e.of, !negated);
  const parts = e.of.map((x) => toGroups(x, negated));
  // NOT (a AND b) is NOT a OR NOT b, and NOT (a OR b) is NOT a AND NOT b.
  const conjunction = (e.op === 'and') !== negated;
  if (conjunction) return bounded(parts.flat());
  // A OR B: one group for every pair of a group of A and a group of B. An operand with no groups
  // matches everything, and so does the OR (the product is empty).
  return parts.reduce((acc, groups) => bounded(acc.flatMap((a) => groups.map((b) => [...a, ...b]))), [[]] as Clause[][]);
}

/** `groups`, when they hold at most MAX_QUERY_TERMS terms. */
function bounded(groups: Clause[][]): Clause[][] {
  let terms = 0;
  for (const g of groups) for (const c of g) terms += weightOf(c.term);
  if (terms > MAX_QUERY_TERMS) {
    throw new QueryTooComplex(
      `it holds more than ${MAX_QUERY_TERMS} terms (each word, field value and level counts one, and an OR of (groups) multiplies them): search with fewer, or split it into several searches`,
    );
  }
  return groups;
}

function weightOf(t: Term): number {
  if (t.kind === 'text') return Math.max(1, t.tokens.length + (t.prefix === undefined ? 0 : 1));
  if (t.kind === 'level') return Math.max(1, t.levels.length);
  // key:* looks for the field and for fields below it.
  if (t.kind === 'field' && t.prefix && t.value === '') return 2;
  return 1;
}
