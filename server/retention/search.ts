import { projectCutoff } from '../../shared/retention.ts';
import type { QueryScope } from '../../shared/query/search.ts';
import type { SearchBackend } from '../stores/types.ts';
import type { PolicyCache } from './policy.ts';

/**
 * A search backend that never answers with events past their project's retention: every query's
 * range starts at the project's cutoff at the latest. Stores remove whole days on a timer, and
 * OpenSearch keeps a shorter-lived project's days in indices other projects still need, so this is
 * what makes "expired" mean gone for the person searching, at once and in every store alike. A range
 * that starts at a cutoff also lets PostgreSQL leave the older partitions out of the plan.
 */
export function withRetention(backend: SearchBackend, policies: PolicyCache, now: () => number = Date.now): SearchBackend {
  /** The query from the cutoff on; undefined when all it asks for is past retention. */
  const kept = async <Q extends QueryScope>(q: Q): Promise<Q | undefined> => {
    const cutoff = projectCutoff(await policies.get(), q.projectId, now());
    if (q.toMs !== undefined && q.toMs <= cutoff) return undefined;
    return q.fromMs !== undefined && q.fromMs >= cutoff ? q : { ...q, fromMs: cutoff };
  };
  return {
    search: async (q) => {
      const k = await kept(q);
      return k ? backend.search(k) : { hits: [] };
    },
    histogram: async (q) => {
      const k = await kept(q);
      return k ? backend.histogram(k) : [];
    },
    bounds: async (q) => {
      const k = await kept(q);
      return k ? backend.bounds(k) : undefined;
    },
    fields: async (q) => {
      const k = await kept(q);
      return k ? backend.fields(k) : { sampled: 0, fields: [] };
    },
    close: () => backend.close(),
  };
}
