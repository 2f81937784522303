import { errors, type Client } from '@opensearch-project/opensearch';
import { indexPattern } from './mapping.ts';

// A new index exists in the cluster state a moment before its shard has started. A search over the
// namespace in that moment fails with 503 "all shards failed" when that index is the only one (the
// first event of a namespace, every fresh install), though nothing is wrong: the new index simply has
// nothing to show yet. Searches go through here so that moment answers like an index that is empty.

/**
 * An index that is not green and was created this recently is taken to be starting, not broken
 * (OpenSearch calls a new index yellow, not red, while its primary initialises; ours have no
 * replicas, so green is the only state that answers).
 */
const STARTING_MS = 120_000;

export type SearchParams = Omit<NonNullable<Parameters<Client['search']>[0]>, 'index'>;

/**
 * Runs a search over every index of the namespace. When it fails because no shard could answer, the
 * indices still starting are left out and the search runs once more over the others (a partial
 * answer, as OpenSearch gives when only some shards fail); with nothing else there, it answers
 * `empty`. What fails a second time fails as before: an index red for longer is an outage.
 */
export async function searchNamespace<T>(client: Client, namespace: string, params: SearchParams, empty: T, read: (body: unknown) => T): Promise<T> {
  const pattern = indexPattern(namespace);
  const run = async (index: string) => read((await client.search({ ...params, index, ignore_unavailable: true, allow_no_indices: true })).body);
  try {
    return await run(pattern);
  } catch (err) {
    if (!noShardAnswered(err)) throw err;
    const { starting, others } = await startingIndices(client, pattern);
    if (starting.length && !others) return empty;
    // Once more, without what is starting: the index may also have started meanwhile. Failing again is an outage.
    return run([pattern, ...starting.map((i) => `-${i}`)].join(','));
  }
}

function noShardAnswered(err: unknown): boolean {
  if (!(err instanceof errors.ResponseError) || err.statusCode !== 503) return false;
  const e = (err.body as { error?: { type?: unknown; reason?: unknown } } | undefined)?.error;
  return e?.type === 'search_phase_execution_exception' && e.reason === 'all shards failed';
}

async function startingIndices(client: Client, pattern: string): Promise<{ starting: string[]; others: number }> {
  const { body } = await client.cat.indices({ index: pattern, format: 'json', h: ['index', 'health', 'creation.date'], expand_wildcards: 'open' });
  const rows = body as unknown as { index: string; health: string; 'creation.date': string }[];
  const now = Date.now();
  const starting = rows.filter((r) => r.health !== 'green' && now - Number(r['creation.date']) < STARTING_MS).map((r) => r.index);
  return { starting, others: rows.length - starting.length };
}
