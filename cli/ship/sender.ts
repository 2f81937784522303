import { gzipSync } from 'node:zlib';
import { retry } from '../../shared/backoff.ts';
import { errorMessage, LogFlowError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { LogFlowClient } from '../client.ts';
import type { Batch } from './batch.ts';

export interface SendStats {
  sent: number;
  accepted: number;
  rejected: number;
  retries: number;
}

/**
 * Delivers batches: at most `concurrency` requests in flight, transient failures retried with capped
 * full-jitter backoff honouring Retry-After, for ever unless the signal aborts. An event the server
 * refuses (400) is reported and skipped, never retried; a refused key (401) stops everything.
 */
export class Sender {
  readonly stats: SendStats = { sent: 0, accepted: 0, rejected: 0, retries: 0 };
  private readonly inFlight = new Set<Promise<void>>();
  private fatal?: LogFlowError;

  constructor(
    private readonly client: LogFlowClient,
    private readonly log: Logger,
    private readonly concurrency: number,
    private readonly signal: AbortSignal,
  ) {}

  /** Resolves when the batch is in flight (waiting while `concurrency` are); throws once a send failed for good. */
  async submit(batch: Batch): Promise<void> {
    while (this.inFlight.size >= this.concurrency) await Promise.race(this.inFlight);
    if (this.fatal) throw this.fatal;
    const p: Promise<void> = this.deliver(batch.lines).then(
      () => void this.inFlight.delete(p),
      (err) => {
        this.inFlight.delete(p);
        this.fatal ??= err instanceof LogFlowError ? err : new LogFlowError('SERVER_ERROR', errorMessage(err));
      },
    );
    this.inFlight.add(p);
  }

  /** Waits for every batch in flight; throws the first error that stopped delivery. */
  async drain(): Promise<void> {
    while (this.inFlight.size) await Promise.race(this.inFlight);
    if (this.fatal) throw this.fatal;
  }

  private async deliver(lines: string[]): Promise<void> {
    const body = gzipSync(lines.join('\n') + '\n');
    this.stats.sent += lines.length;
    try {
      const reply = await retry(() => this.client.postLogs(body, this.signal), {
        signal: this.signal,
        baseMs: 250,
        maxMs: 30_000,
        onRetry: (err, attempt, delay) => {
          this.stats.retries++;
          if (attempt % 5 === 0) this.log.warn({ err: errorMessage(err), events: lines.length, retryInMs: delay }, 'send failed, retrying');
        },
      });
      this.stats.accepted += reply.accepted;
      this.reportRejected(reply.rejected, lines.length);
    } catch (err) {
      if (!(err instanceof LogFlowError)) throw err;
      if (err.code === 'BODY_TOO_LARGE' && lines.length > 1) {
        // The server's limit is smaller than our batch: halve until it fits.
        const half = Math.ceil(lines.length / 2);
        this.stats.sent -= lines.length;
        await this.deliver(lines.slice(0, half));
        await this.deliver(lines.slice(half));
        return;
      }
      if (err.code === 'EVENT_INVALID') {
        return this.reportRejected((err as LogFlowError & { rejected?: { index: number; reason: string }[] }).rejected ?? [], lines.length, err.message);
      }
      throw err;
    }
  }

  private reportRejected(rejected: { index: number; reason: string }[], total: number, whole?: string): void {
    const count = rejected.length || (whole ? total : 0);
    if (!count) return;
    this.stats.rejected += count;
    this.log.error({ rejected: count, first: rejected[0]?.reason ?? whole }, 'the server refused events; they are skipped');
  }
}
