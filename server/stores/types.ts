import { LogFlowError } from '../../shared/errors.ts';
import type { LogEvent } from '../../shared/event.ts';
import type { FieldsQuery, FieldsResult, HistogramQuery, QueryScope, SearchPage, SearchQuery } from '../../shared/query/search.ts';
import type { SinkName } from '../../shared/config.ts';
import type { Logger } from '../../shared/logger.ts';
import type { RetentionPolicy } from '../../shared/retention.ts';

/** What a store says about one event of a batch. */
export type WriteResult =
  /** Stored, or already there from an earlier attempt (idempotent by event_id). */
  | { status: 'ok' }
  /** This event only hit a transient condition (e.g. a 429 item): write it again later. */
  | { status: 'retry'; reason: string }
  /** The store will never take this event as it is: it goes to the dead-letter stream with the reason. */
  | { status: 'reject'; reason: string };

/**
 * A store that events are written to. The worker knows only this interface.
 * write() answers one result per event, in order. When the store as a whole cannot be reached it
 * throws a transient LogFlowError and the worker retries the whole batch; nothing is acknowledged.
 */
export interface Sink {
  readonly name: SinkName;
  /** Creates what the store needs (tables, index template). Idempotent. */
  prepare(): Promise<void>;
  write(events: LogEvent[]): Promise<WriteResult[]>;
  /**
   * Resolves when the store answers and can be written to, throws when it cannot. The worker asks it
   * when a batch keeps failing in a way it does not know: only a store that answers lets it conclude
   * that the events are the cause (and look for them) rather than wait the outage out.
   */
  check(): Promise<void>;
  close(): Promise<void>;
}

/** The error of a search a store stopped at LOGFLOW_SEARCH_TIMEOUT_MS (504): the same search would be stopped again. */
export function searchTimeout(store: string, timeoutMs: number): LogFlowError {
  return new LogFlowError(
    'SEARCH_TIMEOUT',
    `the search ran in ${store} for longer than ${timeoutMs / 1000} s (LOGFLOW_SEARCH_TIMEOUT_MS) and was stopped: search a shorter time range, or with fewer prefixes and exclusions`,
  );
}

/**
 * A store that answers queries, every answer over the same query tree. Each throws searchTimeout()
 * when the store stopped it at the search timeout. The query routes know only
 * this interface; each store translates the tree in its own query.ts.
 */
export interface SearchBackend {
  /** A page of hits, newest first. */
  search(query: SearchQuery): Promise<SearchPage>;
  /** Counts per bucket and level, only the buckets that have events. */
  histogram(query: HistogramQuery): Promise<{ startMs: number; level: string; count: number }[]>;
  /** The first and last matching event's time (for a histogram over "everything"); undefined when none match. */
  bounds(scope: QueryScope): Promise<{ minMs: number; maxMs: number } | undefined>;
  /** Field names and frequent values over the newest matching events. */
  fields(query: FieldsQuery): Promise<FieldsResult>;
  close(): Promise<void>;
}

/** One thing retention removed (or, in a dry run, would remove). */
export interface Removal {
  store: SinkName;
  /**
   * partition: a PostgreSQL leaf (one project's day, month or older range); index: a whole OpenSearch
   * index (no project keeps it any more); documents: one project's events in an index kept for
   * projects that keep data longer; file: a daily (monthly, older) archive file of one project.
   */
  kind: 'partition' | 'index' | 'documents' | 'file';
  /** The table, index or file (relative to LOGFLOW_FILE_DIR). */
  name: string;
  /** Whose events they are; undefined: every project's (an index), or every project without a retention of its own (documents). */
  projectId?: number;
  /** Every event removed is older than this (ISO 8601). */
  before: string;
  /** Events removed; undefined where the store cannot tell without reading it all (files). */
  events?: number;
  bytes?: number;
}

/** A store's retention: it removes what is past each project's retention, whole where it can. */
export interface StoreRetention {
  readonly store: SinkName;
  /** What it removes from, as the run record names it: 'postgres', 'opensearch:<namespace>', 'file:<host>:<dir>'. */
  readonly target: string;
  /** Removes (dryRun: only lists) what is past retention at nowMs; also makes what the coming days need (PostgreSQL's partitions). */
  apply(policy: RetentionPolicy, run: { nowMs: number; dryRun: boolean; log: Logger }): Promise<Removal[]>;
  close(): Promise<void>;
}
