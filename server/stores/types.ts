import type { LogEvent } from '../../shared/event.ts';
import type { SearchPage, SearchQuery } from '../../shared/query.ts';
import type { SinkName } from '../../shared/config.ts';

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

/** A store that answers queries. The query route knows only this interface. */
export interface SearchBackend {
  search(query: SearchQuery): Promise<SearchPage>;
  close(): Promise<void>;
}
