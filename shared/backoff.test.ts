import { describe, expect, it } from 'vitest';
import { backoffDelay, retry, retryDelay } from './backoff.ts';
import { LogFlowError } from './errors.ts';

describe('when backing off', () => {
  it('draws a full-jitter delay under a ceiling that doubles up to the cap', () => {
    expect(backoffDelay(0, 100, 10_000, () => 0.999)).toBe(99);
    expect(backoffDelay(3, 100, 10_000, () => 0.999)).toBe(799);
    expect(backoffDelay(30, 100, 10_000, () => 0.999)).toBe(9990);
    expect(backoffDelay(5, 100, 10_000, () => 0)).toBe(0);
  });

  it('waits at least what Retry-After asked for', () => {
    const err = new LogFlowError('BACKPRESSURE', 'busy', { transient: true, retryAfterSeconds: 5 });
    expect(retryDelay(err, 0, { random: () => 0 })).toBe(5000);
  });

  it('retries transient errors and gives up at once on a permanent one', async () => {
    let calls = 0;
    const value = await retry(
      async () => {
        if (++calls < 3) throw new LogFlowError('NETWORK', 'down', { transient: true });
        return 'done';
      },
      { baseMs: 1 },
    );
    expect([value, calls]).toEqual(['done', 3]);
    calls = 0;
    await expect(
      retry(async () => {
        calls++;
        throw new LogFlowError('UNAUTHORIZED', 'no');
      }),
    ).rejects.toThrow('no');
    expect(calls).toBe(1);
  });

  it('stops waiting when the signal aborts', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 20);
    await expect(retry(async () => Promise.reject(new LogFlowError('NETWORK', 'down', { transient: true })), { baseMs: 60_000, random: () => 1, signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('stops an attempt that is still running when the signal aborts (a command waiting for Redis to come back)', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 20);
    // An attempt that never ends: without the abort this never settles, and the test times out.
    await expect(retry(() => new Promise<never>(() => {}), { signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('gives the outcome of an attempt that ends before the signal aborts', async () => {
    const ac = new AbortController();
    await expect(retry(async () => 'done', { signal: ac.signal })).resolves.toBe('done');
    await expect(retry(async () => Promise.reject(new LogFlowError('BAD_REQUEST', 'no')), { signal: ac.signal })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
