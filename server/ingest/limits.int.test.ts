import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { LogFlowError } from '../../shared/errors.ts';
import { REDIS_URL, uniqueName } from '../../test/helpers.ts';
import { RedisLimiter, type ProjectLimits } from './limits.ts';

// The token buckets themselves, against a real Redis: what passes, what waits, and for how long.
describe('when requests take from a project\'s ingest limits', () => {
  const redis = new Redis(REDIS_URL);
  const namespace = uniqueName('t');
  const limits = new Map<number, ProjectLimits>();
  const limiter = new RedisLimiter(redis, namespace, (id) => limits.get(id));
  const refusal = (p: Promise<void>) => p.then(() => undefined, (err: unknown) => err as LogFlowError);

  afterAll(async () => {
    const keys = await redis.keys(`${namespace}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('does let a burst through at once, then refuse with the time until the events are there', async () => {
    limits.set(1, { name: 'shop', eventsRate: 10, eventsBurst: 100, bytesRate: 0, bytesBurst: 0 });
    for (let i = 0; i < 10; i++) await limiter.take(1, 10, 1000);
    const err = await refusal(limiter.take(1, 10, 1000));
    expect(err).toBeInstanceOf(LogFlowError);
    expect(err).toMatchObject({ code: 'RATE_LIMITED', transient: true });
    expect(err!.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(err!.retryAfterSeconds).toBeLessThanOrEqual(1);
    expect(err!.message).toMatch(/project "shop" is sending more than its ingest limit of 10 events\/s \(burst 100\): nothing was taken, send it again in 1 s/);
  });

  it('does limit bytes on their own, and says so', async () => {
    limits.set(2, { name: 'big', eventsRate: 0, eventsBurst: 0, bytesRate: 1000, bytesBurst: 5000 });
    await limiter.take(2, 1, 5000);
    const err = await refusal(limiter.take(2, 1, 3000));
    expect(err!.message).toMatch(/1,000 bytes\/s \(burst 5,000\).*send it again in 3 s.*--ingestion-rate/);
  });

  it('does take a request larger than the whole burst once the bucket is full, then make the project wait it off', async () => {
    limits.set(3, { name: 'huge', eventsRate: 100, eventsBurst: 100, bytesRate: 0, bytesBurst: 0 });
    await limiter.take(3, 250, 0);
    const err = await refusal(limiter.take(3, 1, 0));
    // 150 events of debt and one more, at 100/s.
    expect(err!.retryAfterSeconds).toBe(2);
  });

  it('does not limit a project without limits, nor one it does not know', async () => {
    limits.set(4, { name: 'free', eventsRate: 0, eventsBurst: 0, bytesRate: 0, bytesBurst: 0 });
    for (let i = 0; i < 5; i++) await limiter.take(4, 1e9, 1e12);
    await limiter.take(5, 1e9, 1e12);
    expect(await redis.exists(`${namespace}:limits:4`, `${namespace}:limits:5`)).toBe(0);
  });

  it('does share one bucket between limiters (servers) on the same Redis', async () => {
    limits.set(6, { name: 'shared', eventsRate: 1, eventsBurst: 10, bytesRate: 0, bytesBurst: 0 });
    const other = new RedisLimiter(redis, namespace, (id) => limits.get(id));
    await limiter.take(6, 6, 0);
    expect(await refusal(other.take(6, 6, 0))).toMatchObject({ code: 'RATE_LIMITED' });
    await other.take(6, 4, 0);
  });
});
