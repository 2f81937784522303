import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { exited, freePort, startCli } from './cli.ts';
import { createTestDatabase, eventually, REDIS_URL, uniqueName } from './helpers.ts';

describe('when logflow up is stopped with SIGTERM', () => {
  it('does exit 0 and log nothing about Redis being away, naming a sink at most once per line', async () => {
    const db = await createTestDatabase();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'logflow-up-'));
    const namespace = uniqueName('tup');
    const port = await freePort();
    try {
      const up = startCli(['up'], { PATH: process.env.PATH, HOME: process.env.HOME, REDIS_URL, DATABASE_URL: db.url, LOGFLOW_NAMESPACE: namespace, LOGFLOW_PORT: String(port), LOGFLOW_FILE_DIR: dir });
      await eventually(async () => ((await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok ? true : undefined), 30_000, 'logflow up to answer');
      await new Promise((r) => setTimeout(r, 500)); // the sink workers in their blocking reads
      up.kill('SIGTERM');
      expect(await exited(up)).toBe(0);
      const lines = up.output().split('\n').filter((l) => l.startsWith('{'));
      expect(lines.some((l) => l.includes('worker started'))).toBe(true);
      expect(lines.filter((l) => /unavailable|retrying/.test(l))).toEqual([]);
      for (const l of lines) expect((l.match(/"sink":/g) ?? []).length).toBeLessThanOrEqual(1);
    } finally {
      const redis = new Redis(REDIS_URL);
      await redis.del(`${namespace}:events`, `${namespace}:dead-letter`);
      redis.disconnect();
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
