import { MATCH_ALL } from '../../../shared/query/tree.ts';
import { describe, expect, it } from 'vitest';
import { dropOpenSearchNamespace, OPENSEARCH_URL, uniqueName } from '../../../test/helpers.ts';
import { createOpenSearchSearch } from './search.ts';
import { createOpenSearchSink } from './sink.ts';

describe('when a namespace gets its first event while people search it', () => {
  it('does answer every search, empty until the new index can show the event', async () => {
    const failures: string[] = [];
    let answered = 0;
    let found = false;
    // Several fresh namespaces: the moment an index starts is short, and each round meets it once.
    for (let round = 0; round < 5; round++) {
      const namespace = uniqueName('lfst');
      const sink = createOpenSearchSink({ url: OPENSEARCH_URL, namespace });
      const search = createOpenSearchSearch({ url: OPENSEARCH_URL, namespace });
      try {
        await sink.prepare();
        let stop = false;
        const searching = Array.from({ length: 4 }, async () => {
          while (!stop) {
            try {
              const page = await search.search({ projectId: 1, query: MATCH_ALL, limit: 10 });
              answered++;
              if (page.hits.length) found = true;
            } catch (err) {
              failures.push((err as Error).message);
            }
          }
        });
        await new Promise((r) => setTimeout(r, 100));
        const now = new Date().toISOString();
        expect(await sink.write([{ event_id: 'first', project_id: 1, timestamp: now, ingest_ts: now, service: 'api', level: 'INFO', message: 'first event' }])).toEqual([{ status: 'ok' }]);
        await new Promise((r) => setTimeout(r, 1500)); // past the 1 s refresh: the event shows
        stop = true;
        await Promise.all(searching);
      } finally {
        await sink.close();
        await search.close();
        await dropOpenSearchNamespace(namespace);
      }
    }
    expect(failures.slice(0, 3)).toEqual([]);
    expect(answered).toBeGreaterThan(100);
    expect(found).toBe(true);
  });
});
