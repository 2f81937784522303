import type { SearchBackend } from '../types.ts';
import { createClient, toStoreError, type OpenSearchOptions } from './client.ts';
import { indexPattern } from './mapping.ts';
import { toSearchBody, toSearchPage, type RawHit } from './query.ts';

/** Answers queries over every daily index of a namespace, newest first. */
export function createOpenSearchSearch(opts: OpenSearchOptions): SearchBackend {
  const client = createClient(opts);
  let closing: Promise<void> | undefined;

  return {
    async search(query) {
      let response;
      try {
        response = await client.search({
          index: indexPattern(opts.namespace),
          // Before the first event there is no index yet: that is an empty result, not an error.
          ignore_unavailable: true,
          allow_no_indices: true,
          body: toSearchBody(query),
        });
      } catch (err) {
        throw toStoreError(err, 'search');
      }
      const hits = (response.body as { hits?: { hits?: RawHit[] } }).hits?.hits ?? [];
      return toSearchPage(hits, query.limit);
    },

    close() {
      closing ??= client.close();
      return closing;
    },
  };
}
