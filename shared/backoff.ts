// No Node module here: the page (server/page) reconnects its live tail with these too.
import { isTransient, LogFlowError } from './errors.ts';

export interface BackoffOptions {
  /** First delay's ceiling in ms; each attempt doubles it up to maxMs. */
  baseMs?: number;
  maxMs?: number;
  /** How many retries before giving up; Infinity (the default) retries transient errors forever. */
  retries?: number;
  signal?: AbortSignal;
  /** Called before each wait, e.g. to log what is being retried. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  random?: () => number;
}

/** Capped exponential backoff with full jitter: a random delay in [0, min(max, base·2^attempt)]. */
export function backoffDelay(attempt: number, baseMs = 200, maxMs = 30_000, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** The wait before the next attempt: what the other side asked for (Retry-After) wins over our own guess. */
export function retryDelay(err: unknown, attempt: number, opts: BackoffOptions = {}): number {
  const own = backoffDelay(attempt, opts.baseMs, opts.maxMs, opts.random);
  const asked = err instanceof LogFlowError && err.retryAfterSeconds !== undefined ? err.retryAfterSeconds * 1000 : undefined;
  return asked === undefined ? own : Math.max(asked, own);
}

/**
 * Runs fn until it succeeds. Transient errors are retried with backoff; a permanent one is thrown at
 * once. Aborting the signal ends the wait, and an attempt still running (a command queued on a
 * connection that is reconnecting would wait for Redis to come back), and throws an ABORTED error:
 * that attempt is left to end on its own, its outcome unread.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: BackoffOptions = {}): Promise<T> {
  const retries = opts.retries ?? Infinity;
  for (let attempt = 0; ; attempt++) {
    if (opts.signal?.aborted) throw new LogFlowError('ABORTED', 'stopped while retrying');
    try {
      return await untilAborted(fn(attempt), opts.signal);
    } catch (err) {
      if (!isTransient(err) || attempt >= retries) throw err;
      const delay = retryDelay(err, attempt, opts);
      opts.onRetry?.(err, attempt, delay);
      await sleep(delay, opts.signal);
    }
  }
}

/** The promise's outcome, or ABORTED as soon as the signal aborts (the promise then settles unheard). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new LogFlowError('ABORTED', 'stopped while an attempt was running', { cause: signal.reason }));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** Waits ms, or less when the signal aborts; throws ABORTED then. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const aborted = () => new LogFlowError('ABORTED', 'stopped while waiting', { cause: signal?.reason });
    if (signal?.aborted) return reject(aborted());
    const onAbort = () => {
      clearTimeout(timer);
      reject(aborted());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
