import type pg from 'pg';
import { errorMessage } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { StoreRetention } from '../stores/types.ts';
import { runRetention } from './run.ts';

export interface RetentionTimerOptions {
  pool: pg.Pool;
  stores: readonly StoreRetention[];
  defaultDays: number;
  log: Logger;
  /** How often each store's retention runs, between all workers. */
  everyMs: number;
  /** How soon after start the first look is. */
  firstAfterMs?: number;
  /** How often to look whether a store is due (every minute, or everyMs when shorter). */
  tickMs?: number;
}

/**
 * Retention inside the worker. Every worker ticks; at each tick one of them (a PostgreSQL advisory
 * lock) runs the stores whose last run is older than everyMs (a record in PostgreSQL), so however
 * many workers there are, each store's retention runs once per interval, and soon after a run failed.
 */
export class RetentionTimer {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private closed = false;

  constructor(private readonly o: RetentionTimerOptions) {}

  start(): void {
    const tickMs = this.o.tickMs ?? Math.min(this.o.everyMs, 60_000);
    const schedule = (ms: number) => {
      if (this.closed) return;
      this.timer = setTimeout(() => {
        this.running = this.tick().finally(() => {
          this.running = undefined;
          schedule(tickMs);
        });
      }, ms);
      this.timer.unref();
    };
    schedule(this.o.firstAfterMs ?? 2000);
  }

  private async tick(): Promise<void> {
    try {
      const r = await runRetention({ ...this.o, everyMs: this.o.everyMs });
      for (const f of r.failures) this.o.log.warn({ target: f.target, err: f.error }, 'retention failed for this store: tried again at the next tick');
      if (r.ran.length) this.o.log.info({ stores: r.ran, removed: r.removals.length, events: r.removals.reduce((n, x) => n + (x.events ?? 0), 0) }, 'retention ran');
    } catch (err) {
      this.o.log.warn({ err: errorMessage(err) }, 'retention could not run: tried again at the next tick');
    }
  }

  /** Stops ticking and waits for a run in progress. Safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
