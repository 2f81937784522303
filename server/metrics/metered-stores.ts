import { isTransient } from '../../shared/errors.ts';
import type { SearchBackend, Sink } from '../stores/types.ts';
import type { Metrics } from './metrics.ts';

// Stores measured at their interfaces: the worker and the query routes see the same Sink and
// SearchBackend, and no store module knows it is measured.

/** The sink, each write timed and counted by result; its other methods as they are. */
export function meteredSink(sink: Sink, m: Metrics): Sink {
  const labels = { sink: sink.name };
  return {
    name: sink.name,
    prepare: () => sink.prepare(),
    check: () => sink.check(),
    close: () => sink.close(),
    async write(events) {
      m.sinkBatchEvents.observe(labels, events.length);
      const end = m.sinkWriteDuration.startTimer(labels);
      try {
        const results = await sink.write(events);
        end();
        m.sinkWrites.inc({ ...labels, result: 'ok' });
        let again = 0;
        for (const r of results) if (r.status === 'retry') again++;
        if (again) m.sinkRetriedEvents.inc(labels, again);
        return results;
      } catch (err) {
        end();
        m.sinkWrites.inc({ ...labels, result: isTransient(err) ? 'unavailable' : 'error' });
        throw err;
      }
    },
  };
}

/** The backend, each answer timed by query and result under the backend's name. */
export function meteredSearch(backend: SearchBackend, name: string, m: Metrics): SearchBackend {
  const timed =
    <A extends unknown[], R>(query: string, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const end = m.searchDuration.startTimer({ backend: name, query });
      try {
        const r = await fn(...args);
        end({ result: 'ok' });
        return r;
      } catch (err) {
        end({ result: 'error' });
        throw err;
      }
    };
  return {
    search: timed('search', (q) => backend.search(q)),
    histogram: timed('histogram', (q) => backend.histogram(q)),
    bounds: timed('bounds', (s) => backend.bounds(s)),
    fields: timed('fields', (q) => backend.fields(q)),
    close: () => backend.close(),
  };
}
