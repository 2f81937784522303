import type { Client } from '@opensearch-project/opensearch';
import { earliestCutoff, retentionCutoff, type RetentionPolicy } from '../../../shared/retention.ts';
import { bucketNamed, spanOf, type Span } from '../time-bucket.ts';
import type { Removal, StoreRetention } from '../types.ts';
import { createClient, toStoreError, type OpenSearchOptions } from './client.ts';
import { indexPattern } from './mapping.ts';

// Every project shares a namespace's indices (mapping.ts): an index per project and day would
// multiply the shards by the projects and meet the cluster's shard limit, which makes OpenSearch
// refuse every project's next event. So:
// - an index goes whole (DELETE, nothing else is as cheap) once no project keeps any of its days:
//   its period ends before the cutoff of the project that keeps data longest;
// - in an index kept for a project with a longer retention, the events of the others that are past
//   theirs are deleted by query (project and time), one query per project with a retention of its
//   own and one for all the others. That costs OpenSearch more than a DELETE, so a long installation
//   retention and shorter ones per project is the cheap way round.
// Searches never show a project's events past its retention meanwhile (server/retention/search.ts).

interface IndexInfo {
  index: string;
  docs: number;
  bytes: number;
  span: Span;
}

/** Who a delete by query is for: one project, or every project without a retention of its own. */
interface Group {
  projectId?: number;
  cutoffMs: number;
  query: Record<string, unknown>;
}

export function createOpenSearchRetention(opts: OpenSearchOptions): StoreRetention {
  const client = createClient(opts);
  return {
    store: 'opensearch',
    target: `opensearch:${opts.namespace}`,
    async apply(policy, { nowMs, dryRun, log }) {
      const indices = await listIndices(client, opts.namespace);
      const earliest = earliestCutoff(policy, nowMs);
      const removals: Removal[] = [];
      const kept: IndexInfo[] = [];
      for (const i of indices) {
        if (i.span.endMs > earliest) {
          kept.push(i);
          continue;
        }
        removals.push({ store: 'opensearch', kind: 'index', name: i.index, before: iso(i.span.endMs), events: i.docs, bytes: i.bytes });
        if (!dryRun) await call(`deletion of index ${i.index}`, () => client.indices.delete({ index: i.index }));
      }
      for (const i of kept) {
        for (const g of groups(policy, nowMs)) {
          if (i.span.startMs !== undefined && i.span.startMs >= g.cutoffMs) continue;
          const body = { query: g.query };
          const counted = await call(`count in ${i.index}`, () => client.count({ index: i.index, body }));
          const n = Number((counted.body as { count?: number }).count ?? 0);
          if (n === 0) continue;
          const events = dryRun ? n : await deleteMatching(client, i.index, g.query);
          removals.push({ store: 'opensearch', kind: 'documents', name: i.index, ...(g.projectId === undefined ? {} : { projectId: g.projectId }), before: iso(g.cutoffMs), events });
        }
      }
      if (removals.length) log.debug({ removals: removals.length }, 'opensearch retention');
      return removals;
    },
    close: () => client.close(),
  };
}

const DELETE_PAGE = 5000;

/**
 * Deletes the documents of an index a query matches, a page at a time: the ids found, then one bulk
 * of deletes (refreshed, so the next page does not find them again). What _delete_by_query does,
 * with core APIs only: that lives in the reindex module, which the distribution LogFlow runs
 * (scripts/opensearch.sh, the integration-test zip) does not have.
 */
async function deleteMatching(client: Client, index: string, query: Record<string, unknown>): Promise<number> {
  let deleted = 0;
  for (;;) {
    const found = await call(`search in ${index}`, () => client.search({ index, body: { query, size: DELETE_PAGE, _source: false, sort: ['_doc'] } as Record<string, unknown> }));
    const hits = (found.body as { hits?: { hits?: { _index: string; _id: string }[] } }).hits?.hits ?? [];
    if (!hits.length) return deleted;
    const body = hits.map((h) => `${JSON.stringify({ delete: { _index: h._index, _id: h._id } })}\n`).join('');
    const r = await call(`deletion in ${index}`, () => client.bulk({ body: body as unknown as Record<string, unknown>[], refresh: 'true' }));
    const items = ((r.body as { items?: { delete?: { status?: number; error?: unknown } }[] }).items ?? []).map((x) => x.delete);
    const failed = items.find((x) => x?.status !== 200 && x?.status !== 404);
    if (failed) throw toStoreError(Object.assign(new Error(JSON.stringify(failed.error ?? failed)), {}), `deletion in ${index}`);
    const now = items.filter((x) => x?.status === 200).length;
    if (now === 0) return deleted;
    deleted += now;
  }
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : new Date(0).toISOString();
}

async function call<T>(action: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toStoreError(err, action);
  }
}

/** The namespace's day, month and older indices with the time each holds. */
async function listIndices(client: Client, namespace: string): Promise<IndexInfo[]> {
  const r = await call('listing of indices', () => client.cat.indices({ index: indexPattern(namespace), format: 'json', bytes: 'b', h: ['index', 'docs.count', 'store.size'], expand_wildcards: 'open' }));
  const prefix = indexPattern(namespace).slice(0, -1);
  const out: IndexInfo[] = [];
  for (const row of r.body as unknown as { index: string; 'docs.count'?: string; 'store.size'?: string }[]) {
    const bucket = bucketNamed(row.index.slice(prefix.length), '.');
    if (!row.index.startsWith(prefix) || !bucket) continue;
    const span = spanOf(bucket) ?? { endMs: await latestIn(client, row.index) };
    out.push({ index: row.index, docs: Number(row['docs.count'] ?? 0), bytes: Number(row['store.size'] ?? 0), span });
  }
  return out;
}

/**
 * Just after the newest event of an index (the older one, whose period is open); +Infinity, so that
 * it is kept, while it holds none. Refreshed first: a document written in the last second is not
 * searchable yet, and an index that only looks empty must not be deleted with it.
 */
async function latestIn(client: Client, index: string): Promise<number> {
  await call(`refresh of ${index}`, () => client.indices.refresh({ index }));
  const r = await call(`newest event of ${index}`, () => client.search({ index, body: { size: 0, aggs: { latest: { max: { field: 'timestamp' } } } } as Record<string, unknown> }));
  const value = (r.body as { aggregations?: { latest?: { value?: number | null } } }).aggregations?.latest?.value;
  return typeof value === 'number' ? value + 1 : Infinity;
}

/** One query per project with a retention of its own, and one for every other project. */
function groups(policy: RetentionPolicy, nowMs: number): Group[] {
  const before = (ms: number) => ({ range: { timestamp: { lt: new Date(ms).toISOString() } } });
  const own = [...policy.projectDays].map(([projectId, days]): Group => {
    const cutoffMs = retentionCutoff(nowMs, days);
    return { projectId, cutoffMs, query: { bool: { filter: [{ term: { project_id: projectId } }, before(cutoffMs)] } } };
  });
  const cutoffMs = retentionCutoff(nowMs, policy.defaultDays);
  const others: Group = { cutoffMs, query: { bool: { filter: [before(cutoffMs)], must_not: [{ terms: { project_id: [...policy.projectDays.keys()] } }] } } };
  return [...own, others];
}
