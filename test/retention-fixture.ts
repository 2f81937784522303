import type { LogEvent } from '../shared/event.ts';
import type { RetentionPolicy } from '../shared/retention.ts';

// One data set for the retention tests of every store: three projects with the installation's
// retention (30 days), a shorter one (7) and a longer one (90), events on either side of each
// cutoff, in day, month and older buckets, all ingested at NOW (a fixed instant, so the buckets and
// cutoffs are the same whatever day the suite runs).
//
// At NOW the cutoffs are: A (30d) 2026-11-01, B (7d) 2026-11-24, C (90d) 2026-09-02.

export const NOW = Date.parse('2026-12-01T10:00:00.000Z');
export const A = 1;
export const B = 2;
export const C = 3;
export const POLICY: RetentionPolicy = { defaultDays: 30, projectDays: new Map([[B, 7], [C, 90]]) };

/** Marker → [project, timestamp, kept by retention?]. "Kept" is what a search must still find. */
export const EVENTS: Record<string, [project: number, timestamp: string, kept: boolean]> = {
  'a-dec01': [A, '2026-12-01T09:00:00.000Z', true],
  'a-dec02': [A, '2026-12-02T01:00:00.000Z', true], // an early event (a clock a little ahead)
  'a-nov20': [A, '2026-11-20T12:00:00.000Z', true],
  'a-nov01': [A, '2026-11-01T00:00:00.000Z', true], // the first instant A keeps
  'a-oct31': [A, '2026-10-31T23:59:59.999Z', false], // the October month bucket: past A's retention
  'a-1999': [A, '1999-06-01T00:00:00.000Z', false], // the older bucket
  'b-dec01': [B, '2026-12-01T08:00:00.000Z', true],
  'b-nov24': [B, '2026-11-24T00:00:00.000Z', true],
  'b-nov23': [B, '2026-11-23T23:00:00.000Z', false],
  'b-nov20': [B, '2026-11-20T12:00:00.000Z', false], // a day A still keeps
  'c-nov20': [C, '2026-11-20T13:00:00.000Z', true],
  'c-oct31': [C, '2026-10-31T12:00:00.000Z', true], // October, which A no longer keeps
  'c-sep02': [C, '2026-09-02T00:00:00.000Z', true],
  'c-sep01': [C, '2026-09-01T12:00:00.000Z', false], // September: partly past C's retention
  'c-aug31': [C, '2026-08-31T12:00:00.000Z', false],
};

export function retentionEvents(): LogEvent[] {
  return Object.entries(EVENTS).map(([marker, [project_id, timestamp]]) => ({
    event_id: marker,
    project_id,
    timestamp,
    ingest_ts: new Date(NOW).toISOString(),
    service: 'api',
    level: 'INFO',
    message: `event ${marker}`,
  }));
}

export const kept = (project?: number) => Object.keys(EVENTS).filter((m) => EVENTS[m]![2] && (project === undefined || EVENTS[m]![0] === project)).sort();

/** The tables of the release before partitioning, exactly as it made them, with projects 1 (a) and 2 (b). */
export const PREVIOUS_RELEASE_DDL = `
CREATE TABLE projects (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE, api_key_hash text NOT NULL UNIQUE, key_prefix text NOT NULL DEFAULT '', is_active boolean NOT NULL DEFAULT true, created_at timestamptz NOT NULL DEFAULT now());
INSERT INTO projects (id, name, api_key_hash) VALUES (1, 'a', 'ha'), (2, 'b', 'hb');
SELECT setval('projects_id_seq', 2);
CREATE TABLE logs (
  id bigserial PRIMARY KEY, project_id bigint NOT NULL REFERENCES projects (id), event_id text COLLATE "C" NOT NULL, ts timestamptz NOT NULL,
  ingest_ts timestamptz NOT NULL, service text NOT NULL, level text NOT NULL, message text NOT NULL, trace_id text NULL, request_id text NULL,
  host text NULL, env text NULL, metadata jsonb NULL, CONSTRAINT logs_project_event_key UNIQUE (project_id, event_id));
CREATE INDEX logs_project_ts_idx ON logs (project_id, ts DESC, event_id DESC);
CREATE INDEX logs_project_service_ts_idx ON logs (project_id, service, ts DESC);
ALTER TABLE logs ADD COLUMN search tsvector NULL;
ALTER TABLE logs ADD COLUMN nums text[] COLLATE "C" NULL;
CREATE INDEX logs_search_idx ON logs USING gin (search);
CREATE INDEX logs_message_legacy_fts_idx ON logs USING gin (to_tsvector('simple', message)) WHERE search IS NULL;`;
