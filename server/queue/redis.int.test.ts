import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../../test/helpers.ts';
import { readDurabilityRisk } from './redis.ts';

// Each case runs a Redis of its own, with the persistence settings under test, on a unix socket in a
// temporary directory: the shared test Redis is left as it is.
const started: { child: ChildProcess; dir: string; client: Redis }[] = [];

async function redisWith(args: string[]): Promise<Redis> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'logflow-redis-'));
  const socket = path.join(dir, 'redis.sock');
  const child = spawn('redis-server', ['--port', '0', '--unixsocket', socket, '--dir', dir, '--save', '', ...args], { stdio: 'ignore' });
  const client = new Redis({ path: socket, lazyConnect: true });
  started.push({ child, dir, client });
  await eventually(async () => (existsSync(socket) ? true : undefined), 10_000, 'redis-server to listen');
  await client.connect();
  return client;
}

afterEach(() => {
  for (const { child, dir, client } of started.splice(0)) {
    client.disconnect();
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('when the server starts on a Redis', () => {
  it('does say that accepted events are lost on a restart when Redis keeps no append-only file', async () => {
    expect(await readDurabilityRisk(await redisWith(['--appendonly', 'no']))).toMatch(/appendonly no\): events accepted \(answered 200\) but not yet written by every sink are lost if Redis restarts/);
  });

  it('does say that the last seconds can be lost when the append-only file is not fsynced', async () => {
    expect(await readDurabilityRisk(await redisWith(['--appendonly', 'yes', '--appendfsync', 'no']))).toMatch(/appendfsync no/);
  });

  it('does say nothing when Redis fsyncs its append-only file every second or always', async () => {
    expect(await readDurabilityRisk(await redisWith(['--appendonly', 'yes', '--appendfsync', 'everysec']))).toBeUndefined();
    expect(await readDurabilityRisk(await redisWith(['--appendonly', 'yes', '--appendfsync', 'always']))).toBeUndefined();
  });

  it('does say nothing when Redis will not tell its settings', async () => {
    const redis = await redisWith(['--appendonly', 'no', '--rename-command', 'CONFIG', 'CONFIG-HIDDEN']);
    expect(await readDurabilityRisk(redis)).toBeUndefined();
  });
});
