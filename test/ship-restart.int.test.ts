import { appendFile, mkdtemp, readdir, readlink, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exited, startCli, stop } from './cli.ts';
import { eventually } from './helpers.ts';
import { startStack, type Stack } from './stack.ts';

const lines = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `2026-11-05T00:00:00.000Z INFO ${tag} ${i}`).join('\n') + '\n';

describe('when the shipper starts on files it has no checkpoint for', () => {
  let stack: Stack;
  let key: string;
  let db: pg.Client;
  let dir: string;
  let stateDir: string;

  const messages = async () => (await db.query<{ message: string }>("SELECT message FROM logs WHERE service = 'restart' ORDER BY message")).rows.map((r) => r.message);
  const ship = () => startCli(['ship', '--service', 'restart', '--state-dir', stateDir, '--quiet', path.join(dir, '*.log')], { ...stack.env, LOGFLOW_API_KEY: key });

  beforeAll(async () => {
    stack = await startStack({ opensearch: false });
    key = await stack.createProject('shop');
    db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    dir = await mkdtemp(path.join(os.tmpdir(), 'logflow-restart-'));
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'logflow-restart-state-'));
  });

  afterAll(async () => {
    await db?.end();
    await stack?.destroy();
    await rm(dir, { recursive: true, force: true });
    await rm(stateDir, { recursive: true, force: true });
  });

  it('reads an old file from its end on the first start, and a file created while it was stopped from its beginning', async () => {
    await writeFile(path.join(dir, 'old.log'), lines('history', 50));
    const first = ship();
    await new Promise((r) => setTimeout(r, 2000)); // let it find old.log and take its place at the end
    await appendFile(path.join(dir, 'old.log'), lines('fresh', 3));
    await eventually(async () => ((await messages()).length === 3 ? true : undefined), 20_000, 'the appended lines');
    first.kill('SIGTERM');
    expect(await exited(first)).toBe(0);

    // While it is down: the app rotates to a new file and writes to it.
    await writeFile(path.join(dir, 'new.log'), lines('while-down', 20));
    const second = ship();
    await eventually(async () => ((await messages()).length === 23 ? true : undefined), 20_000, 'the new file whole');
    second.kill('SIGTERM');
    expect(await exited(second)).toBe(0);
    const got = await messages();
    expect(got.filter((m) => m.includes('history'))).toEqual([]);
    expect(got.filter((m) => m.includes('while-down'))).toHaveLength(20);
  });
});

describe('when a file is deleted while the output is full', () => {
  let stack: Stack;
  let key: string;
  let dir: string;

  const openFiles = async (pid: number) => {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
    return Promise.all(fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
  };

  beforeAll(async () => {
    stack = await startStack({ opensearch: false });
    key = await stack.createProject('shop');
    dir = await mkdtemp(path.join(os.tmpdir(), 'logflow-deleted-'));
  });

  afterAll(async () => {
    await stack?.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  it('lets go of it instead of holding its disk space, and says how much was never read', async () => {
    await stop(stack.server); // nobody takes events: memory and spool fill, reading waits for room
    const file = path.join(dir, 'big.log');
    await writeFile(file, lines('held', 20_000));
    const args = ['ship', '--service', 'held', '--from-beginning', '--state-dir', path.join(dir, 'state'), '--memory-limit', '16KiB', '--spool-max', '32KiB', '--batch-size', '50'];
    const child = startCli([...args, '--release-deleted-after', '1s', '--rotate-wait', '1s', '--drain-timeout', '1s', path.join(dir, '*.log')], { ...stack.env, LOGFLOW_API_KEY: key });
    await eventually(async () => ((await openFiles(child.pid!)).includes(file) ? true : undefined), 20_000, 'the shipper to open the file');
    await unlink(file);
    await eventually(async () => ((await openFiles(child.pid!)).some((f) => f.startsWith(file)) ? undefined : true), 20_000, 'the deleted file to be let go');
    child.kill('SIGTERM');
    await exited(child);
    expect(child.output()).toMatch(/\d+ bytes of deleted files were let go unread/);
    await stack.startServer();
  });
});
