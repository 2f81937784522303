import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { LineSplitter } from './line-splitter.ts';
import type { Shipper } from '../shipper.ts';

/**
 * Reads lines from stdin. Event ids are this run's id and the line's byte offset, so a retried batch
 * lands once. Reading pauses only while Delivery cannot take more (the spool is full and set to
 * block): until then the application writing to us is never held up.
 */
export class StdinSource {
  readonly runId = `s${randomBytes(6).toString('hex')}`;
  private stopped = false;
  private readonly splitter = new LineSplitter(0);
  private lastData = Date.now();

  constructor(
    private readonly input: Readable,
    private readonly shipper: Shipper,
    private readonly partialIdleMs: number,
  ) {}

  /** Resolves at EOF, or when stop() was called, with every line handed to the shipper. */
  async run(): Promise<void> {
    const lane = this.shipper.lane(this.runId, 0);
    const push = (t: string, s: number, e: number) => lane.push(t, s, e, this.lastData);
    const timer = setInterval(() => {
      if (this.splitter.pendingBytes && Date.now() - this.lastData >= this.partialIdleMs) this.splitter.flushPartial(push);
    }, Math.min(1000, this.partialIdleMs));
    try {
      for await (const chunk of this.input as AsyncIterable<Buffer>) {
        this.lastData = Date.now();
        this.splitter.feed(chunk, push);
        await this.shipper.settle();
        if (this.stopped) break;
      }
    } catch (err) {
      if (!this.stopped) throw err;
    } finally {
      clearInterval(timer);
    }
    this.splitter.flushPartial(push);
    lane.close();
  }

  /** SIGTERM: stop reading; run() returns with what was read. */
  stop(): void {
    this.stopped = true;
    this.input.destroy();
  }
}
