// The one ingest path: every protocol decoder (POST /logs now; OTLP, Elasticsearch _bulk and Loki push
// next) hands it the records it read, and answers in its protocol's terms from what comes back. Nothing
// here knows which protocol a record came by.
import { LogFlowError } from '../../shared/errors.ts';
import type { Rejection } from '../../shared/http.ts';
import { encodeEvent } from '../../shared/normalize/encode.ts';
import { normalizeRecord } from '../../shared/normalize/normalize.ts';
import type { IngestRecord, RecordDefaults, RefusalClass } from '../../shared/normalize/record.ts';
import { formatIso } from '../../shared/parse/time.ts';
import type { EventQueue } from '../queue/queue.ts';
import { eventIdFor } from './event-id.ts';
import type { IngestLimiter } from './limits.ts';

/** What ingest needs of the queue: append events (as JSON text) all or none, and how many wait. */
export type IngestQueue = Pick<EventQueue, 'appendEncoded' | 'backlog'>;

/** One record's fate, in the order the records were given. */
export type RecordOutcome = { status: 'accepted'; eventId: string } | { status: 'refused'; reason: string };

export interface IngestResult {
  /** Records the queue now holds: every configured store will take them. */
  accepted: number;
  /** Per record, in order. */
  outcomes: RecordOutcome[];
  /** The refused ones alone, by index, for answers that list them. */
  refused: Rejection[];
  /** How many were refused for each class of reason (metrics). */
  refusedBy: Record<RefusalClass, number>;
}

/** The part of the ingest path a protocol's decoder uses (metrics wrap it: server/metrics/metered-ingest.ts). */
export type Ingest = Pick<IngestPath, 'ingest'>;

export interface IngestOptions {
  queue: IngestQueue;
  /** Backlog above which ingest answers "slow down" (429) rather than fill the queue. */
  maxBacklog: number;
  /** Per-project limits (limits.ts): a project over them is answered 429 alone. */
  limiter?: IngestLimiter;
  /** The clock, for tests. */
  now?: () => number;
}

/**
 * Normalises each record, gives an event_id to those without one, appends what is good to the queue in
 * one go, and says per record what happened. Throws a transient LogFlowError (BACKPRESSURE or
 * RATE_LIMITED, 429, or QUEUE_UNAVAILABLE, 503, each with retryAfterSeconds) when nothing was taken and
 * the same request can succeed later: the decoder answers "send it all again".
 */
export class IngestPath {
  private backlog = { value: 0, at: -Infinity };

  constructor(private readonly o: IngestOptions) {}

  async ingest(projectId: number, records: readonly IngestRecord[], defaults: RecordDefaults = {}): Promise<IngestResult> {
    const now = this.o.now?.() ?? Date.now();
    await this.checkBacklog(now);
    if (this.o.limiter) await this.o.limiter.take(projectId, records.length, recordBytes(records));
    const ingestTs = formatIso(now)!;
    const outcomes: RecordOutcome[] = new Array(records.length);
    const refused: Rejection[] = [];
    const refusedBy: Record<RefusalClass, number> = { unreadable: 0, time: 0, event_id: 0 };
    const entries: string[] = [];
    // The same derived id twice in one request is one event: append it once.
    let seen: Set<string> | undefined;
    for (let i = 0; i < records.length; i++) {
      const n = normalizeRecord(records[i]!, defaults, now);
      if (!n.ok) {
        outcomes[i] = { status: 'refused', reason: n.reason };
        refused.push({ index: i, reason: n.reason });
        refusedBy[n.class]++;
        continue;
      }
      const eventId = n.event.event_id ?? eventIdFor(projectId, defaults, n.event.identity);
      outcomes[i] = { status: 'accepted', eventId };
      if (n.event.event_id === undefined && n.event.identity !== undefined) {
        seen ??= new Set();
        if (seen.has(eventId)) continue;
        seen.add(eventId);
      }
      entries.push(encodeEvent(n.event, projectId, ingestTs, eventId));
    }
    if (entries.length > 0) await this.append(entries);
    return { accepted: records.length - refused.length, outcomes, refused, refusedBy };
  }

  private async append(entries: string[]): Promise<void> {
    try {
      await this.o.queue.appendEncoded(entries);
    } catch (err) {
      if (err instanceof LogFlowError) throw err;
      throw unavailable(err);
    }
  }

  /** Backpressure: past the high-water mark, clients are asked to come back rather than fill Redis. */
  private async checkBacklog(now: number): Promise<void> {
    if (now - this.backlog.at > 1000) {
      try {
        this.backlog = { value: await this.o.queue.backlog(), at: now };
      } catch (err) {
        throw unavailable(err);
      }
    }
    if (this.backlog.value >= this.o.maxBacklog) {
      throw new LogFlowError('BACKPRESSURE', `the ingest backlog is full (${this.backlog.value} events waiting for the stores): retry later`, { transient: true, retryAfterSeconds: 5 });
    }
  }
}

/** What a request costs against its project's bytes limit: its records' text as sent (a Loki-like "line bytes"). */
export function recordBytes(records: readonly IngestRecord[]): number {
  let n = 0;
  for (const r of records) n += (r.json?.length ?? 0) + (r.line?.length ?? 0);
  return n;
}

function unavailable(err: unknown): LogFlowError {
  return new LogFlowError('QUEUE_UNAVAILABLE', `Redis is unavailable: ${(err as Error)?.message ?? err}`, { transient: true, retryAfterSeconds: 2, cause: err });
}
