import type pg from 'pg';
import type { Settings, SinkName } from '../../shared/config.ts';
import { ConfigError } from '../../shared/errors.ts';
import { PolicyCache } from '../retention/policy.ts';
import { withRetention } from '../retention/search.ts';
import type { SearchBackend, Sink, StoreRetention } from './types.ts';

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

/**
 * Search is served by OpenSearch when it is configured, otherwise by PostgreSQL; either way never
 * with events past their project's retention (retention/search.ts).
 */
export async function createSearchBackend(settings: Settings, pool: pg.Pool): Promise<SearchBackend> {
  const policies = new PolicyCache(pool, settings.LOGFLOW_RETENTION_DAYS);
  if (settings.OPENSEARCH_URL) {
    const { createOpenSearchSearch } = await import('./opensearch/search.ts');
    return withRetention(createOpenSearchSearch({ url: settings.OPENSEARCH_URL, namespace: settings.LOGFLOW_NAMESPACE, searchTimeoutMs: settings.LOGFLOW_SEARCH_TIMEOUT_MS }), policies);
  }
  const { createPostgresSearch } = await import('./postgres/search.ts');
  return withRetention(createPostgresSearch({ pool, timeoutMs: settings.LOGFLOW_SEARCH_TIMEOUT_MS }), policies);
}

/** What removes a store's data past retention, for the stores a worker writes to (or `logflow retention`). */
export async function createRetention(name: SinkName, settings: Settings, pool: () => pg.Pool): Promise<StoreRetention> {
  switch (name) {
    case 'opensearch': {
      if (!settings.OPENSEARCH_URL) throw new ConfigError('the opensearch sink needs OPENSEARCH_URL (e.g. http://127.0.0.1:9200)');
      const { createOpenSearchRetention } = await import('./opensearch/retention.ts');
      return createOpenSearchRetention({ url: settings.OPENSEARCH_URL, namespace: settings.LOGFLOW_NAMESPACE, requestTimeoutMs: 300_000 });
    }
    case 'postgres': {
      const { createPostgresRetention } = await import('./postgres/retention.ts');
      return createPostgresRetention({ pool: pool() });
    }
    case 'file': {
      const { createFileRetention } = await import('./file/retention.ts');
      return createFileRetention({ dir: settings.LOGFLOW_FILE_DIR });
    }
  }
}
