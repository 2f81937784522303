import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { LogFlowError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { LogFlowClient } from '../client.ts';
import { Batch } from './batch.ts';
import { buildEvent, type ShipContext } from './event-builder.ts';
import { parseLine, type LineFormat } from './parse.ts';
import { Sender } from './sender.ts';

export interface StdinShipperOptions {
  input: Readable;
  client: LogFlowClient;
  log: Logger;
  context: ShipContext;
  format: LineFormat;
  batchSize: number;
  batchBytes: number;
  flushIntervalMs: number;
  drainTimeoutMs: number;
  concurrency: number;
}

export interface ShipSummary {
  read: number;
  accepted: number;
  rejected: number;
  /** Lines read but not delivered when the drain timeout ran out. */
  undelivered: number;
}

/**
 * Ships stdin: each line parsed, given an event_id from this run's id and its sequence number (so a
 * retried batch lands once), batched by count, bytes and time, and sent. Resolves after EOF once every
 * line was accepted, refused, or given up on when the drain timeout ran out.
 */
export class StdinShipper {
  private readonly abort = new AbortController();
  private readonly runId = randomBytes(6).toString('hex');
  private seq = 0;
  private batch = new Batch();
  private timer?: NodeJS.Timeout;
  private readonly sender: Sender;
  private stopReading?: () => void;

  constructor(private readonly o: StdinShipperOptions) {
    this.sender = new Sender(o.client, o.log, o.concurrency, this.abort.signal);
  }

  async run(): Promise<ShipSummary> {
    const rl = createInterface({ input: this.o.input, crlfDelay: Infinity });
    this.stopReading = () => rl.close();
    this.timer = setInterval(() => void this.flushIfOld(), Math.max(50, this.o.flushIntervalMs / 4));
    let failure: unknown;
    try {
      for await (const line of rl) {
        if (!line) continue;
        this.add(line);
        if (this.batch.size >= this.o.batchSize || this.batch.bytes >= this.o.batchBytes) await this.flush();
      }
      await this.flush();
    } catch (err) {
      failure = err;
    }
    clearInterval(this.timer);
    const drainTimer = setTimeout(() => this.abort.abort(), this.o.drainTimeoutMs);
    try {
      await this.sender.drain();
    } catch (err) {
      failure ??= err;
    } finally {
      clearTimeout(drainTimer);
    }
    const { accepted, rejected } = this.sender.stats;
    const summary = { read: this.seq, accepted, rejected, undelivered: this.seq - accepted - rejected };
    if (failure && !(failure instanceof LogFlowError && failure.code === 'ABORTED')) throw failure;
    return summary;
  }

  /** SIGTERM: stop reading; run() then delivers what it has, within the drain timeout. */
  stop(): void {
    this.stopReading?.();
  }

  private add(line: string): void {
    const event = buildEvent(parseLine(line, this.o.format), this.o.context, `${this.runId}-${this.seq++}`);
    this.batch.add(event);
  }

  private async flushIfOld(): Promise<void> {
    if (this.batch.size && Date.now() - this.batch.startedAt >= this.o.flushIntervalMs) await this.flush().catch(() => {});
  }

  private async flush(): Promise<void> {
    if (!this.batch.size) return;
    const full = this.batch;
    this.batch = new Batch();
    await this.sender.submit(full);
  }
}
