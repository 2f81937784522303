import { backoffDelay, retryDelay, sleep } from '../../shared/backoff.ts';
import { errorMessage, LogFlowError } from '../../shared/errors.ts';
import type { LogEvent } from '../../shared/event.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Sink, WriteResult } from '../stores/types.ts';

/** What became of one event of a batch: stored (or already there), or refused for good with the reason. */
export type Outcome = { status: 'ok' } | { status: 'reject'; reason: string };

export interface BatchWriterOptions {
  sink: Sink;
  signal: AbortSignal;
  log: Logger;
  /** How often one event alone may fail in a way no store error explains before it is refused. */
  triesBeforeRefusing?: number;
  baseMs?: number;
  maxMs?: number;
}

const OK: Outcome = { status: 'ok' };

/**
 * Writes one batch into one store until every event is stored or refused. Each retry decision is
 * explicit:
 * - the store is away (a transient store error): the same batch again after a backoff, for ever;
 * - the store asks for some events again (a 429 item): only those, after a backoff, for ever;
 * - the store refuses an event: refused with the store's reason;
 * - the batch fails any other way (a refusal of the whole batch, or an error no store raises: a bug
 *   in the sink): split in halves until the events that cause it are alone, each refused with the
 *   reason once the store is seen answering its check, and the rest written. Without that, one
 *   event the sink cannot handle would hold its whole group for ever.
 * Throws ABORTED when the signal aborts; nothing is decided for the batch then.
 */
export class BatchWriter {
  private readonly tries: number;
  private readonly baseMs: number;
  private readonly maxMs: number;

  constructor(private readonly o: BatchWriterOptions) {
    this.tries = o.triesBeforeRefusing ?? 3;
    this.baseMs = o.baseMs ?? 250;
    this.maxMs = o.maxMs ?? 15_000;
  }

  async write(events: LogEvent[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = new Array(events.length);
    let todo = events.map((_, i) => i);
    for (let round = 0; todo.length; round++) {
      if (round > 0) await this.wait(backoffDelay(round - 1, this.baseMs, this.maxMs));
      const results = await this.attempt(todo.map((i) => events[i]!), false);
      const again: number[] = [];
      let reason = '';
      results.forEach((r, n) => {
        const i = todo[n]!;
        if (r.status === 'retry') {
          again.push(i);
          reason = r.reason;
        } else outcomes[i] = r.status === 'ok' ? OK : { status: 'reject', reason: r.reason };
      });
      if (again.length && round % 10 === 9) this.o.log.warn({ events: again.length, reason }, 'the store asks for events again, retrying');
      todo = again;
    }
    return outcomes;
  }

  /** One write of these events, waiting out outages; `suspected` halves of a failing batch split at once. */
  private async attempt(events: LogEvent[], suspected: boolean): Promise<WriteResult[]> {
    let failures = 0;
    for (let n = 0; ; n++) {
      let err: unknown;
      try {
        this.throwIfAborted();
        const results = await this.o.sink.write(events);
        if (results.length === events.length) return results;
        err = new Error(`the sink answered ${results.length} results for ${events.length} events`);
      } catch (e) {
        err = e;
      }
      this.throwIfAborted();
      if (isOutage(err)) {
        failures = 0;
        const delay = retryDelay(err, n, { baseMs: this.baseMs, maxMs: this.maxMs });
        if (n % 5 === 0) this.o.log.warn({ err: errorMessage(err), events: events.length, retryInMs: delay }, 'store unavailable, retrying');
        await this.wait(delay);
        continue;
      }
      // A permanent store error is never repeated as it was; an unknown one may have been a fluke.
      failures++;
      const permanent = err instanceof LogFlowError;
      if (!permanent && failures < (suspected && events.length > 1 ? 1 : this.tries)) {
        await this.wait(backoffDelay(failures - 1, this.baseMs, this.maxMs));
        continue;
      }
      if (events.length > 1) {
        if (!suspected) this.o.log.warn({ err: errorMessage(err), events: events.length }, 'a batch keeps failing in a way that is no store outage: splitting it to find the events that cause it');
        const mid = Math.ceil(events.length / 2);
        return [...(await this.attempt(events.slice(0, mid), true)), ...(await this.attempt(events.slice(mid), true))];
      }
      // One event alone fails: refuse it only if the store is there, or the outage is mistaken for the event.
      const away = await this.o.sink.check().then(
        () => undefined,
        (checkErr: unknown) => checkErr,
      );
      if (away === undefined) return [{ status: 'reject', reason: reasonOf(err, this.o.sink.name) }];
      failures = 0;
      const delay = backoffDelay(n, this.baseMs, this.maxMs);
      if (n % 5 === 0) this.o.log.warn({ err: errorMessage(err), check: errorMessage(away), retryInMs: delay }, 'an event fails and the store does not answer its check: waiting for the store');
      await this.wait(delay);
    }
  }

  private wait(ms: number): Promise<void> {
    return sleep(ms, this.o.signal);
  }

  private throwIfAborted(): void {
    if (this.o.signal.aborted) throw new LogFlowError('ABORTED', 'stopped while writing');
  }
}

/** A store that cannot be reached or is busy says so with a transient error: that is waited out. */
function isOutage(err: unknown): boolean {
  return err instanceof LogFlowError && err.transient;
}

function reasonOf(err: unknown, sink: string): string {
  if (err instanceof LogFlowError) return err.message;
  const name = err instanceof Error ? err.name : 'Error';
  return `the ${sink} sink failed on this event (${name}: ${errorMessage(err)}); fix it, then logflow dead-letters replay --sink ${sink}`;
}
