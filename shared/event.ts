import { z } from 'zod';
import { MAX_FUTURE_MS, MAX_MESSAGE_BYTES, MAX_SHORT_TEXT } from './limits.ts';
import { LEVELS, normalizeLevel, type Level } from './levels.ts';
import { parseIsoTime } from './duration.ts';

/** An event as it is stored and searched: the seed's schema plus what ingest adds. */
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

const MAX_SHORT = MAX_SHORT_TEXT;
export { MAX_MESSAGE_BYTES };

const shortText = (what: string) =>
  z.string({ error: `${what} must be a string` }).trim().min(1, `${what} must not be empty`).max(MAX_SHORT, `${what} is longer than ${MAX_SHORT} characters`);

const timestamp = z.union([z.string(), z.number()], { error: 'timestamp is required (ISO 8601, e.g. 2026-11-01T10:00:00Z)' }).transform((value, ctx) => {
  const ms = typeof value === 'number' ? value : parseIsoTime(value);
  if (ms === undefined || !Number.isFinite(ms) || Math.abs(ms) > 8.64e15) {
    ctx.addIssue({ code: 'custom', message: `timestamp "${value}" is not an ISO 8601 time such as 2026-11-01T10:00:00Z` });
    return z.NEVER;
  }
  // A time far ahead is a wrong clock or a unit mix-up (microseconds sent as milliseconds); stored, it
  // would sit above every real event in "newest first" and open a daily index years away. Like
  // Loki's creation grace period, a day of skew is tolerated.
  if (ms > Date.now() + MAX_FUTURE_MS) {
    ctx.addIssue({ code: 'custom', message: `timestamp "${value}" is more than a day in the future: check the sender's clock, or the unit of an epoch time (milliseconds expected)` });
    return z.NEVER;
  }
  return new Date(ms).toISOString();
});

const level = z.string({ error: `level is required: one of ${LEVELS.join(', ')}` }).transform((value, ctx) => {
  const l = normalizeLevel(value);
  if (!l) {
    ctx.addIssue({ code: 'custom', message: `level "${value}" is not one of ${LEVELS.join(', ')} (warning, fatal and other common names are accepted too)` });
    return z.NEVER;
  }
  return l;
});

const KNOWN = new Set(['timestamp', 'service', 'level', 'message', 'trace_id', 'request_id', 'host', 'env', 'metadata', 'event_id', 'ingest_ts', 'project_id']);

/**
 * What a client may send. Unknown top-level fields are not an error: they are kept under metadata,
 * as Loki and OpenSearch users expect structured fields to survive. ingest_ts and project_id are the
 * server's to set and are ignored when sent.
 */
export const IncomingEvent = z.object({
  timestamp,
  service: shortText('service'),
  level,
  message: z.string({ error: 'message is required and must be a string' }).refine((m) => Buffer.byteLength(m) <= MAX_MESSAGE_BYTES, `message is longer than ${MAX_MESSAGE_BYTES} bytes`),
  trace_id: shortText('trace_id').optional(),
  request_id: shortText('request_id').optional(),
  host: shortText('host').optional(),
  env: shortText('env').optional(),
  // Checked, not rebuilt: z.record copies key by key, and a `__proto__` key would set the copy's
  // prototype instead of being kept. JSON.parse makes every key, that one too, an own property.
  metadata: z.custom<Record<string, unknown>>((v) => v !== null && typeof v === 'object' && !Array.isArray(v), { error: 'metadata must be a JSON object' }).optional(),
  event_id: z.string({ error: 'event_id must be a string' }).regex(/^[\x21-\x7e]{1,200}$/, 'event_id must be 1-200 printable ASCII characters without spaces').optional(),
});
export type IncomingEvent = z.infer<typeof IncomingEvent>;

export type Validation = { ok: true; event: IncomingEvent } | { ok: false; reason: string };

/** Validates one event as a client sent it; the reason names every field that is wrong. */
export function validateEvent(raw: unknown): Validation {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, reason: 'an event must be a JSON object' };
  const input = raw as Record<string, unknown>;
  const extra = Object.keys(input).filter((k) => !KNOWN.has(k));
  const parsed = IncomingEvent.safeParse(input);
  if (!parsed.success) {
    return { ok: false, reason: parsed.error.issues.map((i) => (i.path.length && !i.message.startsWith(String(i.path[0])) ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ') };
  }
  const event = parsed.data;
  if (extra.length) {
    const metadata = { ...(event.metadata ?? {}) };
    // Own keys only (`constructor` is in every object), and defined rather than assigned (`__proto__`).
    for (const k of extra) if (!Object.hasOwn(metadata, k)) Object.defineProperty(metadata, k, { value: input[k], enumerable: true, writable: true, configurable: true });
    event.metadata = metadata;
  }
  return { ok: true, event };
}

/** Adds what ingest owns. The client's event_id is kept: it is what makes a retried batch land once. */
export function enrichEvent(e: IncomingEvent, projectId: number, ingestTs: string, newId: () => string): LogEvent {
  const out: LogEvent = {
    event_id: e.event_id ?? newId(),
    project_id: projectId,
    timestamp: e.timestamp,
    ingest_ts: ingestTs,
    service: e.service,
    level: e.level,
    message: e.message,
  };
  if (e.trace_id !== undefined) out.trace_id = e.trace_id;
  if (e.request_id !== undefined) out.request_id = e.request_id;
  if (e.host !== undefined) out.host = e.host;
  if (e.env !== undefined) out.env = e.env;
  if (e.metadata !== undefined) out.metadata = e.metadata;
  return out;
}
