import type { SearchBackend } from '../types.ts';
import { createClient, toStoreError, type OpenSearchOptions } from './client.ts';
import { toSearchBody, toSearchPage, type RawHit } from './query.ts';
import { searchNamespace } from './ready.ts';

/** Answers queries over every index of a namespace, newest first. */
export function createOpenSearchSearch(opts: OpenSearchOptions): SearchBackend {
  const client = createClient(opts);
  let closing: Promise<void> | undefined;

  return {
    async search(query) {
      // Before the first event there is no index yet, and while one starts it cannot answer: both are
      // an empty result, not an error (ready.ts).
      let hits: RawHit[];
      try {
        hits = await searchNamespace(client, opts.namespace, { body: toSearchBody(query) }, [], (body) => (body as { hits?: { hits?: RawHit[] } }).hits?.hits ?? []);
      } catch (err) {
        throw toStoreError(err, 'search');
      }
      return toSearchPage(hits, query.limit);
    },

    close() {
      closing ??= client.close();
      return closing;
    },
  };
}
