import type { Client } from '@opensearch-project/opensearch';
import type { Cursor } from '../../../shared/query/search.ts';
import { summarizeFields } from '../fields.ts';
import { searchTimeout, type SearchBackend } from '../types.ts';
import { boundsBody, histogramBody, histogramRows, namesBody, namesRows, sampleEdgeBody, sampleFilters, valuesBody, valuesRows } from './aggregate.ts';
import { createClient, toStoreError, type OpenSearchOptions } from './client.ts';
import { toSearchBody, toSearchPage, type RawHit } from './query.ts';
import { searchNamespace } from './ready.ts';

interface Answer {
  hits?: { hits?: RawHit[]; total?: { value?: number } };
  aggregations?: Record<string, unknown>;
  timed_out?: boolean;
}

export interface OpenSearchSearchOptions extends OpenSearchOptions {
  /** How long OpenSearch may run one search; past it the answer is SEARCH_TIMEOUT (default 30 s). */
  searchTimeoutMs?: number;
}

/** An answer OpenSearch cut short at the search's timeout: partial hits or counts would be wrong ones, so none are shown. */
export function checkComplete(answer: Answer, timeoutMs: number): Answer {
  if (answer.timed_out) throw searchTimeout('OpenSearch', timeoutMs);
  return answer;
}

/** Answers queries over every index of a namespace, newest first. */
export function createOpenSearchSearch(opts: OpenSearchSearchOptions): SearchBackend {
  const timeoutMs = opts.searchTimeoutMs ?? 30_000;
  // The client waits a little longer than OpenSearch is asked to run, so OpenSearch's own timeout answers.
  const client: Client = createClient({ ...opts, requestTimeoutMs: timeoutMs + 10_000 });
  let closing: Promise<void> | undefined;
  // Before the first event there is no index yet, and while one starts it cannot answer: both are
  // an empty answer, not an error (ready.ts).
  const run = async (body: Record<string, unknown>, action: string): Promise<Answer> => {
    try {
      return checkComplete(await searchNamespace(client, opts.namespace, { body: { ...body, timeout: `${timeoutMs}ms` } }, {}, (answer) => answer as Answer), timeoutMs);
    } catch (err) {
      throw toStoreError(err, action);
    }
  };
  return {
    async search(query) {
      const answer = await run(toSearchBody(query) as unknown as Record<string, unknown>, 'search');
      return toSearchPage(answer.hits?.hits ?? [], query.limit);
    },
    async histogram(query) {
      return histogramRows((await run(histogramBody(query), 'histogram')).aggregations);
    },
    async bounds(scope) {
      const aggs = (await run(boundsBody(scope), 'time range')).aggregations as { min?: { value?: number | null }; max?: { value?: number | null } } | undefined;
      const min = aggs?.min?.value;
      const max = aggs?.max?.value;
      return typeof min === 'number' && typeof max === 'number' ? { minMs: min, maxMs: max } : undefined;
    },
    async fields(query) {
      const edgeAnswer = await run(sampleEdgeBody(query), 'fields');
      const sampled = Math.min(query.sample, edgeAnswer.hits?.total?.value ?? 0);
      const [ms, id] = edgeAnswer.hits?.hits?.[0]?.sort ?? [];
      const edge: Cursor | undefined = typeof ms === 'number' && typeof id === 'string' ? { timestampMs: ms, eventId: id } : undefined;
      const filters = sampleFilters(query, edge);
      const names = namesRows((await run(namesBody(filters, query), 'fields')).aggregations ?? {}, sampled);
      const paths = names.filter((r) => r.kind === 'name' && r.source === 'metadata').map((r) => r.name);
      const values = paths.length ? valuesRows((await run(valuesBody(filters, query, paths), 'fields')).aggregations ?? {}, paths) : [];
      return summarizeFields([...names, ...values], query.values);
    },
    close() {
      closing ??= client.close();
      return closing;
    },
  };
}
