import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exited, startCli, stop } from '../cli.ts';
import { eventually } from '../helpers.ts';
import { startOwnRedis, type OwnService } from './own-services.ts';

// An operator stops `logflow worker` (SIGTERM, as systemd and Kubernetes do) while Redis is down: the
// worker must stop at once and cleanly, not sit out its 15 s grace waiting on a connection that is
// reconnecting, and then exit 1 as if it had hung. Redis is this test's own: the shared one is never stopped.

describe('when the worker is stopped while Redis is down', () => {
  let redis: OwnService;
  let dir: string;

  beforeAll(async () => {
    redis = await startOwnRedis();
    dir = await mkdtemp(path.join(os.tmpdir(), 'logflow-worker-stop-'));
  });

  afterAll(async () => {
    await redis?.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  it('does stop cleanly and exit 0, not after its grace', async () => {
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, REDIS_URL: redis.url, LOGFLOW_SINKS: 'file', LOGFLOW_FILE_DIR: dir, LOGFLOW_NAMESPACE: 'stop', LOGFLOW_LOG_LEVEL: 'info' };
    const worker = startCli(['worker'], env);
    try {
      await eventually(async () => (/worker started/.test(worker.output()) ? true : undefined), 30_000, 'the worker to start').catch((err) => {
        throw new Error(`${err.message}: ${worker.output()}`);
      });
      await redis.stop();
      // It says so, and its commands now wait on the reconnecting connection.
      await eventually(async () => (/Redis unavailable: waiting for it/.test(worker.output()) ? true : undefined), 30_000, 'the worker to say Redis is away').catch((err) => {
        throw new Error(`${err.message}: ${worker.output()}`);
      });
      await new Promise((r) => setTimeout(r, 1000));
      worker.kill('SIGTERM');
      // Past its grace the command says "did not stop in time" and exits 1 (cli/run.ts untilSignal).
      expect(await exited(worker), worker.output()).toBe(0);
      expect(worker.output()).not.toMatch(/did not stop in time/);
    } finally {
      await stop(worker, 'SIGKILL');
    }
  });
});
