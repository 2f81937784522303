// What a query with parentheses means, as the one shape every store translates (tree.ts): an AND of
// OR-groups of terms. `(a b) OR c` is `(a OR c) (b OR c)`; `-(a OR b)` is `-a -b`. Distributing can
// grow a query without bound, so the result is capped: a query past the cap is refused with a reason.
import type { Clause } from './tree.ts';

export type Expr = { op: 'and' | 'or'; of: Expr[] } | { op: 'not'; of: Expr } | { op: 'term'; clause: Clause };

/** Terms, counted over every group, a query may expand to (a 4,000-character query without parentheses has at most 2,000). */
export const MAX_EXPANDED_TERMS = 2048;

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

function bounded(groups: Clause[][]): Clause[][] {
  let terms = 0;
  for (const g of groups) terms += g.length;
  if (terms > MAX_EXPANDED_TERMS) {
    throw new QueryTooComplex(`its parentheses expand to more than ${MAX_EXPANDED_TERMS.toLocaleString('en-US')} terms (an OR of groups multiplies them): write fewer groups, or split it into several searches`);
  }
  return groups;
}
