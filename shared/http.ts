// The HTTP contract between LogFlow's server and its own clients (`logflow ship`, `logflow search`,
// the page): which status carries which error code, which answers a client may send again, and the
// shapes of the answers. Written once here so that the two sides cannot drift apart.
import { LogFlowError, type ErrorCode } from './errors.ts';
import type { LogEvent } from './event.ts';
import type { Level } from './levels.ts';

/** The status each error code is answered with; a code not listed is a 500. */
const STATUS_OF_CODE: Partial<Record<ErrorCode, number>> = {
  UNAUTHORIZED: 401,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  BAD_REQUEST: 400,
  METHOD_NOT_ALLOWED: 405,
  EVENT_INVALID: 400,
  USAGE: 400,
  BACKPRESSURE: 429,
  RATE_LIMITED: 429,
  QUEUE_UNAVAILABLE: 503,
  STORE_UNAVAILABLE: 503,
  // The store ran the search past LOGFLOW_SEARCH_TIMEOUT_MS and stopped it: sending it again would too.
  SEARCH_TIMEOUT: 504,
};

/** What a client reads back from a status it got: the inverse of statusOf for the statuses it acts on. */
const CODE_OF_STATUS: Record<number, ErrorCode> = { 400: 'EVENT_INVALID', 401: 'UNAUTHORIZED', 413: 'BODY_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE', 429: 'BACKPRESSURE', 503: 'QUEUE_UNAVAILABLE' };

export function statusOf(code: ErrorCode): number {
  return STATUS_OF_CODE[code] ?? 500;
}

/** Whether the same request may succeed later: 408, 429 and every 5xx. Nothing else is sent again. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export function codeOfStatus(status: number): ErrorCode {
  return CODE_OF_STATUS[status] ?? (isRetryableStatus(status) ? 'SERVER_ERROR' : 'BAD_REQUEST');
}

/** One event the server would not take, by its position in the request, and why. */
export interface Rejection {
  index: number;
  reason: string;
}

/** POST /logs answered 200: every event it read is stored. (`rejected` is empty; an older server answered 202 and listed refusals here: see refusedInReply.) */
export interface IngestAnswer {
  accepted: number;
  rejected: Rejection[];
}

/**
 * What POST /logs answers once it has read a request's events, for every client alike:
 * - 200 `{accepted, rejected: []}` when it stored every event (exactly 200: winston's Http transport
 *   counts any other status, 202 included, as a failure);
 * - 400 `{error: "event_invalid", message, accepted, rejected}` when it refused any: the `accepted` ones
 *   are stored and need no resending, each `rejected` one (index and reason) can never be stored as sent.
 * A 2xx would tell agents that read only the status (Fluent Bit, Vector, winston, Logstash) that all
 * was stored, and the refused events would vanish without a word; a 4xx makes them log the error and
 * drop the batch, of which only the refused events were not stored. An agent that resends it anyway
 * costs nothing: every event has an id (its own, or one derived from what it is), so the stored ones
 * are stored once. A request that can succeed later (429, 503) is a LogFlowError with Retry-After.
 */
export function ingestReply(accepted: number, rejected: Rejection[]): { status: number; body: IngestAnswer | ErrorAnswer } {
  if (rejected.length === 0) return { status: 200, body: { accepted, rejected } };
  const total = accepted + rejected.length;
  const first = rejected[0]!;
  const what = accepted === 0 ? `no event of the ${total} could be stored` : `${rejected.length} of ${total} events were refused`;
  const others = accepted === 1 ? 'the other event is stored' : `the other ${accepted} are stored`;
  const stored = accepted === 0 ? '' : `; ${others} (sending the batch again stores none twice)`;
  return { status: 400, body: { error: 'event_invalid', message: `${what}: event ${first.index}: ${first.reason}${stored}`, accepted, rejected } };
}

/**
 * The refusals in a 2xx POST /logs answer, as the RefusedEventsError a 400 gives: a server before the
 * rule above answered 202 and listed them. undefined when there are none.
 */
export function refusedInReply(reply: Partial<IngestAnswer>): RefusedEventsError | undefined {
  if (!Array.isArray(reply.rejected) || reply.rejected.length === 0) return undefined;
  const accepted = typeof reply.accepted === 'number' ? reply.accepted : 0;
  return new RefusedEventsError(`server refused ${reply.rejected.length} events: ${reply.rejected[0]?.reason ?? 'no reason given'}`, reply.rejected, accepted);
}

/** GET /search answered 200: newest first; pass next_cursor back as `cursor` for the next page (null: last page). */
export interface SearchAnswer {
  hits: LogEvent[];
  next_cursor: string | null;
}

/** GET /search/histogram answered 200: every bucket of [from, to), zeros included, oldest first. */
export interface HistogramAnswer {
  /** The range counted: the request's from/to, or, when absent, from the first matching event to now. ISO 8601. */
  from: string;
  to: string;
  /** Bucket width; buckets start at multiples of it since the epoch (UTC). */
  interval_ms: number;
  /** Sum of every bucket: the number of events the same search finds in [from, to). */
  total: number;
  buckets: HistogramBucketAnswer[];
}

export interface HistogramBucketAnswer {
  /** Start of the bucket, ISO 8601; it ends where the next one starts (the last one: at `to`). */
  start: string;
  total: number;
  counts: Record<Level, number>;
}

/** GET /search/fields answered 200: field names and their most frequent values over the newest `sampled` matching events. */
export interface FieldsAnswer {
  sampled: number;
  fields: { name: string; count: number; values: { value: string; count: number }[] }[];
}

/** The Server-Sent Events of GET /tail, by their `event:` name. */
export const TAIL_EVENT = {
  /** Once, when the server follows: every matching event ingested from now on will come. data: TailReady. */
  ready: 'ready',
  /** One matching event; `id:` is its stream entry id (sent back as Last-Event-ID to resume). data: LogEvent. */
  log: 'log',
  /** Events this reader will not get (too slow, or away too long). data: TailMissed. */
  missed: 'missed',
} as const;

export interface TailReady {
  /** The stream entry the tail follows from. */
  from_id: string;
}

export interface TailMissed {
  /** How many matching events were dropped; null when it cannot be counted (the stream was trimmed). */
  missed: number | null;
  reason: string;
}

/** Every error answer: a stable code (lowercase), a message a person can act on, and per-event reasons when there are some. */
export interface ErrorAnswer {
  error: string;
  message: string;
  accepted?: number;
  rejected?: Rejection[];
}

/**
 * The server refused events of a request, each with its reason (never storable as sent: a client drops
 * them and reports them, never resends them); those it did take are stored, counted in `accepted`.
 */
export class RefusedEventsError extends LogFlowError {
  constructor(
    message: string,
    readonly rejected: Rejection[],
    readonly accepted = 0,
  ) {
    super('EVENT_INVALID', message);
    this.name = 'RefusedEventsError';
  }
}

/** The error a client raises for a non-2xx answer, from its status, headers and body. */
export function errorOfAnswer(status: number, body: Partial<ErrorAnswer> | undefined, rawText: string, retryAfterHeader: string | undefined): LogFlowError {
  const message = `server answered ${status}: ${typeof body?.message === 'string' ? body.message : rawText.slice(0, 200) || 'no reason given'}`;
  const code = codeOfStatus(status);
  if (code === 'EVENT_INVALID' && Array.isArray(body?.rejected)) {
    return new RefusedEventsError(message, body.rejected, typeof body.accepted === 'number' ? body.accepted : 0);
  }
  const retryAfter = Number(retryAfterHeader);
  return new LogFlowError(code, message, {
    transient: isRetryableStatus(status),
    retryAfterSeconds: retryAfterHeader !== undefined && Number.isFinite(retryAfter) ? retryAfter : undefined,
  });
}
