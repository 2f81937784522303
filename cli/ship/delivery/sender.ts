import { retry } from '../../../shared/backoff.ts';
import { errorMessage, type LogFlowError } from '../../../shared/errors.ts';
import type { IngestAnswer } from '../../../shared/http.ts';
import type { Logger } from '../../../shared/logger.ts';
import { linesParcel, type Parcel } from './parcel.ts';
import { judge, type Answer, type Verdict } from './verdict.ts';

export interface SenderStats {
  sent: number;
  accepted: number;
  rejected: number;
  retries: number;
  /** Batches being retried right now. */
  retrying: number;
}

/** The one call the sender makes: POST /logs with a gzip body (LogFlowClient.postLogs). */
export interface LogsEndpoint {
  postLogs(gzippedNdjson: Buffer, signal?: AbortSignal): Promise<Partial<IngestAnswer>>;
}

export interface SenderOptions {
  client: LogsEndpoint;
  log: Logger;
  /** The backoff between attempts (shared/backoff.ts): first ceiling and cap, in ms. */
  baseMs?: number;
  maxMs?: number;
}

/** How a parcel's sending ended: the server has it (or refused what it would not take), we stopped, or delivery must stop. */
export type Sent = { kind: 'delivered' } | { kind: 'stopped' } | { kind: 'fatal'; error: LogFlowError };

const DELIVERED: Sent = { kind: 'delivered' };
const STOPPED: Sent = { kind: 'stopped' };

/**
 * Sends one batch until the server has it: each answer is judged (verdict.ts) and acted on. What is
 * worth sending again is sent again after capped, jittered backoff that honours Retry-After, without
 * giving up; a batch too large is split in halves; refused events are counted and skipped.
 */
export class Sender {
  readonly stats: SenderStats = { sent: 0, accepted: 0, rejected: 0, retries: 0, retrying: 0 };

  constructor(private readonly o: SenderOptions) {}

  async send(parcel: Parcel, signal: AbortSignal): Promise<Sent> {
    const verdict = await this.settle(await parcel.body(), parcel.count, signal);
    switch (verdict.kind) {
      case 'ok':
      case 'refused':
        this.stats.sent += parcel.count;
        this.stats.accepted += verdict.accepted;
        if (verdict.kind === 'refused') this.reportRefused(verdict);
        return DELIVERED;
      case 'split':
        return this.sendHalves(await parcel.lines(), signal);
      case 'fatal':
        return verdict;
      default:
        return STOPPED;
    }
  }

  /** The first verdict that is not `retry`: retries wait as shared/backoff.ts says, until stopped. */
  private async settle(body: Buffer, count: number, signal: AbortSignal): Promise<Exclude<Verdict, { kind: 'retry' }>> {
    let retrying = false;
    try {
      return await retry(
        async () => {
          const verdict = judge(await this.post(body, signal), count);
          if (verdict.kind === 'retry') throw verdict.error; // transient, by the verdict's own rule
          return verdict;
        },
        {
          signal,
          baseMs: this.o.baseMs ?? 250,
          maxMs: this.o.maxMs ?? 30_000,
          onRetry: (err, attempt, delay) => {
            this.stats.retries++;
            if (!retrying) this.stats.retrying++;
            retrying = true;
            if (attempt % 5 === 0) this.o.log.warn({ err: errorMessage(err), events: count, retryInMs: delay }, 'send failed, retrying');
          },
        },
      );
    } catch {
      return { kind: 'stopped' }; // retry() gives up on transient errors only when its signal aborts
    } finally {
      if (retrying) this.stats.retrying--;
    }
  }

  private async post(body: Buffer, signal: AbortSignal): Promise<Answer> {
    try {
      return { reply: await this.o.client.postLogs(body, signal) };
    } catch (error) {
      return { error };
    }
  }

  private async sendHalves(lines: string[], signal: AbortSignal): Promise<Sent> {
    const half = Math.ceil(lines.length / 2);
    const first = await this.send(linesParcel(lines.slice(0, half)), signal);
    return first.kind === 'delivered' ? this.send(linesParcel(lines.slice(half)), signal) : first;
  }

  private reportRefused(v: Extract<Verdict, { kind: 'refused' }>): void {
    if (!v.refused) return;
    this.stats.rejected += v.refused;
    this.o.log.error({ rejected: v.refused, reason: v.reason }, 'the server refused events; they are skipped');
  }
}
