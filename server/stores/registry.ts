import type pg from 'pg';
import type { Settings, SinkName } from '../../shared/config.ts';
import { ConfigError } from '../../shared/errors.ts';
import type { SearchBackend, Sink } from './types.ts';

// The one place that maps a store's name to its module. Adding a store means a module + a line here.
// Modules load lazily so a process pays only for the stores it uses.

/** `pool` is asked for only by stores that need PostgreSQL. */
export async function createSink(name: SinkName, settings: Settings, pool: () => pg.Pool): Promise<Sink> {
  switch (name) {
    case 'opensearch': {
      if (!settings.OPENSEARCH_URL) throw new ConfigError('the opensearch sink needs OPENSEARCH_URL (e.g. http://127.0.0.1:9200)');
      const { createOpenSearchSink } = await import('./opensearch/sink.ts');
      return createOpenSearchSink({ url: settings.OPENSEARCH_URL, namespace: settings.LOGFLOW_NAMESPACE });
    }
    case 'postgres': {
      const { createPostgresSink } = await import('./postgres/sink.ts');
      return createPostgresSink({ pool: pool() });
    }
    case 'file': {
      const { createFileSink } = await import('./file/sink.ts');
      return createFileSink({ dir: settings.LOGFLOW_FILE_DIR });
    }
  }
}

/** Search is served by OpenSearch when it is configured, otherwise by PostgreSQL. */
export async function createSearchBackend(settings: Settings, pool: pg.Pool): Promise<SearchBackend> {
  if (settings.OPENSEARCH_URL) {
    const { createOpenSearchSearch } = await import('./opensearch/search.ts');
    return createOpenSearchSearch({ url: settings.OPENSEARCH_URL, namespace: settings.LOGFLOW_NAMESPACE });
  }
  const { createPostgresSearch } = await import('./postgres/search.ts');
  return createPostgresSearch({ pool });
}
