import type { Level } from './levels.ts';

/**
 * An event as it is stored and searched: the seed's schema plus what ingest adds. Records come in through
 * shared/normalize (normalizeRecord, then encodeEvent writes this as JSON text).
 */
export interface LogEvent {
  event_id: string;
  project_id: number;
  timestamp: string; // ISO 8601, UTC, millisecond precision
  ingest_ts: string;
  service: string;
  level: Level;
  message: string;
  trace_id?: string;
  request_id?: string;
  host?: string;
  env?: string;
  metadata?: Record<string, unknown>;
}
