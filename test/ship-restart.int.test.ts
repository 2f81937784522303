import { appendFile, copyFile, mkdtemp, readdir, readlink, rename, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
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

describe('when files are rotated while the shipper is stopped, compressed, or no longer named', () => {
  let stack: Stack;
  let key: string;
  let db: pg.Client;
  let root: string;

  beforeAll(async () => {
    stack = await startStack({ opensearch: false });
    key = await stack.createProject('shop');
    db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    root = await mkdtemp(path.join(os.tmpdir(), 'logflow-rotated-away-'));
  });

  afterAll(async () => {
    await db?.end();
    await stack?.destroy();
    await rm(root, { recursive: true, force: true });
  });

  const counts = async (service: string) =>
    (await db.query<{ n: number; d: number }>('SELECT count(*)::int AS n, count(DISTINCT message)::int AS d FROM logs WHERE service = $1', [service])).rows[0]!;

  /**
   * Ships app.log (named exactly by default, so the rotated file is outside what the shipper was asked
   * to read) until its 100 lines are stored, stops, lets `rotate` run while it is down, then starts it again.
   */
  async function rotateWhileStopped(service: string, rotate: (file: string) => Promise<void>, pattern = 'app.log'): Promise<void> {
    const dir = await mkdtemp(path.join(root, `${service}-`));
    const file = path.join(dir, 'app.log');
    const ship = () => startCli(['ship', '--service', service, '--state-dir', path.join(dir, 'state'), '--from-beginning', '--rotate-wait', '1s', '--quiet', path.join(dir, pattern)], { ...stack.env, LOGFLOW_API_KEY: key });
    await writeFile(file, lines('before', 100));
    const first = ship();
    await eventually(async () => ((await counts(service)).n === 100 ? true : undefined), 20_000, 'the first 100 lines');
    first.kill('SIGTERM');
    expect(await exited(first)).toBe(0);
    await appendFile(file, lines('unread', 50)); // written after the shipper stopped, before the rotation
    await rotate(file);
    const second = ship();
    try {
      await eventually(async () => ((await counts(service)).n >= 180 ? true : undefined), 20_000, 'every line');
      await new Promise((r) => setTimeout(r, 1500)); // nothing more arrives: no line twice
    } finally {
      second.kill('SIGTERM');
      await exited(second);
    }
  }

  /** logrotate's copytruncate, then the application writes `after` to the emptied file. */
  const copytruncate = (after: string) => async (file: string) => {
    await copyFile(file, `${file}.1`);
    await truncate(file, 0);
    await appendFile(file, after);
  };

  it('does read the rest of the renamed file, then the new one whole', async () => {
    await rotateWhileStopped('renamed', async (file) => {
      await rename(file, `${file}.1`);
      await writeFile(file, lines('after', 30));
    });
    expect(await counts('renamed')).toEqual({ n: 180, d: 180 });
  });

  it('does read the rest of a copytruncate copy, then the truncated file from its start', async () => {
    await rotateWhileStopped('copied', copytruncate(lines('after', 30)));
    expect(await counts('copied')).toEqual({ n: 180, d: 180 });
  });

  it('does the same when the truncated file was written past where the shipper had stopped', async () => {
    // More bytes than where the shipper stopped: the size alone does not show the truncation.
    await rotateWhileStopped('refilled', copytruncate(lines(`after-${'x'.repeat(200)}`, 30)));
    expect(await counts('refilled')).toEqual({ n: 180, d: 180 });
  });

  it('does not read the copy from its start when the pattern names it too', async () => {
    await rotateWhileStopped('globbed', copytruncate(lines('after', 30)), 'app.log*');
    expect(await counts('globbed')).toEqual({ n: 180, d: 180 });
  });

  /**
   * The second restart of issue 8: the shipper starts after a rotation, takes up the rotated file to
   * finish it, and is killed before the server confirmed what it read there. Its checkpoint now holds
   * the file under its rotated name, with bytes unread; the next start must still finish it.
   */
  async function killedWhileFinishing(service: string, rotate: (file: string) => Promise<void>, finishing: RegExp): Promise<string> {
    const dir = await mkdtemp(path.join(root, `${service}-`));
    const file = path.join(dir, 'app.log');
    const args = ['ship', '--service', service, '--state-dir', path.join(dir, 'state'), '--from-beginning', '--rotate-wait', '1s', file];
    const ship = () => startCli(args, { ...stack.env, LOGFLOW_API_KEY: key, LOGFLOW_LOG_LEVEL: 'info' });
    await writeFile(file, lines('before', 100));
    const first = ship();
    await eventually(async () => ((await counts(service)).n === 100 ? true : undefined), 20_000, 'the first 100 lines');
    first.kill('SIGTERM');
    expect(await exited(first)).toBe(0);
    await appendFile(file, lines('unread', 50));
    await rotate(file);
    await stop(stack.server); // nothing the second run reads is confirmed
    try {
      const second = ship();
      await eventually(async () => (finishing.test(second.output()) ? true : undefined), 20_000, 'the second run to take up the rotated file');
      await new Promise((r) => setTimeout(r, 1500)); // a checkpoint save, with the file under its rotated name
      second.kill('SIGKILL');
      await exited(second);
    } finally {
      await stack.startServer();
    }
    const third = ship();
    try {
      // Not eventually(): when lines are missing, the counts and the shipper's output say which.
      for (const deadline = Date.now() + 20_000; (await counts(service)).n < 180 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 250));
      await new Promise((r) => setTimeout(r, 1500)); // nothing more arrives: no line twice
    } finally {
      third.kill('SIGTERM');
      await exited(third);
    }
    return third.output();
  }

  it('does finish a renamed file after a second restart that was killed while finishing it', async () => {
    const said = await killedWhileFinishing('renamed-twice', async (file) => {
      await rename(file, `${file}.1`);
      await writeFile(file, lines('after', 30));
    }, /reading the rest of a file renamed while stopped/);
    expect(await counts('renamed-twice'), said).toEqual({ n: 180, d: 180 });
  });

  it('does finish a copytruncate copy after a second restart that was killed while finishing it', async () => {
    const said = await killedWhileFinishing('copied-twice', copytruncate(lines('after', 30)), /reading the rest of a file copied and truncated while stopped/);
    expect(await counts('copied-twice'), said).toEqual({ n: 180, d: 180 });
  });

  it('does know a copy of a file it had only begun to read, killed before the server confirmed any of it', async () => {
    // The file was empty when the shipper took it up: its checkpoint's fingerprint covered nothing, and
    // confirmations never came to widen it, so after a copytruncate it took the truncated file for the
    // file it knew and never looked for the copy.
    const dir = await mkdtemp(path.join(root, 'young-'));
    const file = path.join(dir, 'app.log');
    const args = ['ship', '--service', 'young', '--state-dir', path.join(dir, 'state'), '--rotate-wait', '1s', file];
    const ship = () => startCli(args, { ...stack.env, LOGFLOW_API_KEY: key, LOGFLOW_LOG_LEVEL: 'info' });
    await writeFile(file, '');
    await stop(stack.server);
    try {
      const first = ship();
      await eventually(async () => (first.output().includes('"msg":"tailing"') ? true : undefined), 20_000, 'the shipper to take up app.log');
      await appendFile(file, lines('young', 50));
      await new Promise((r) => setTimeout(r, 1500)); // read, not confirmed
      first.kill('SIGKILL');
      await exited(first);
    } finally {
      await stack.startServer();
    }
    await copytruncate(lines('after', 30))(file);
    const second = ship();
    try {
      for (const deadline = Date.now() + 20_000; (await counts('young')).n < 80 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 250));
      await new Promise((r) => setTimeout(r, 1500));
    } finally {
      second.kill('SIGTERM');
      await exited(second);
    }
    expect(await counts('young'), second.output()).toEqual({ n: 80, d: 80 });
  });

  it('does read the logs and leave out compressed files and those --exclude names', async () => {
    const dir = await mkdtemp(path.join(root, 'exclude-'));
    await writeFile(path.join(dir, 'app.log'), lines('current', 10));
    await writeFile(path.join(dir, 'app.log.1'), lines('rotated', 5));
    await writeFile(path.join(dir, 'app.log.2.gz'), gzipSync(lines('compressed', 5)));
    await writeFile(path.join(dir, 'app.log.debug'), lines('debug', 5));
    const args = ['ship', '--service', 'excluded', '--state-dir', path.join(dir, 'state'), '--from-beginning', '--exclude', '*.debug', '--quiet', path.join(dir, 'app.log*')];
    const child = startCli(args, { ...stack.env, LOGFLOW_API_KEY: key });
    const count = async () => (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM logs WHERE service = 'excluded'")).rows[0]!.n;
    try {
      await eventually(async () => ((await count()) >= 15 ? true : undefined), 20_000, 'the two logs');
      await new Promise((r) => setTimeout(r, 1500)); // a scan or two later: nothing else arrives
    } finally {
      child.kill('SIGTERM');
      await exited(child);
    }
    const { rows } = await db.query<{ tag: string; n: number }>("SELECT split_part(message, ' ', 3) AS tag, count(*)::int AS n FROM logs WHERE service = 'excluded' GROUP BY 1 ORDER BY 1");
    expect(rows).toEqual([{ tag: 'current', n: 10 }, { tag: 'rotated', n: 5 }]);
  });

  it('does not go on reading a file the patterns no longer name, however far behind it is', async () => {
    const dir = await mkdtemp(path.join(root, 'dropped-'));
    const [keep, drop] = [path.join(dir, 'keep.txt'), path.join(dir, 'drop.txt')];
    await writeFile(keep, lines('kept', 5));
    await writeFile(drop, lines('dropped', 5));
    const tags = async () => (await db.query<{ tag: string }>("SELECT split_part(message, ' ', 3) AS tag FROM logs WHERE service = 'renamed-config' ORDER BY 1")).rows.map((r) => r.tag);
    const ship = (files: string[]) => startCli(['ship', '--service', 'renamed-config', '--state-dir', path.join(dir, 'state'), '--from-beginning', '--quiet', ...files], { ...stack.env, LOGFLOW_API_KEY: key });
    const first = ship([keep, drop]);
    await eventually(async () => ((await tags()).length === 10 ? true : undefined), 20_000, 'both files');
    first.kill('SIGTERM');
    expect(await exited(first)).toBe(0);
    await appendFile(keep, lines('kept-later', 5));
    await appendFile(drop, lines('dropped-later', 5));
    const second = ship([keep]);
    try {
      await eventually(async () => ((await tags()).length >= 15 ? true : undefined), 20_000, 'the kept file');
      await new Promise((r) => setTimeout(r, 1500));
    } finally {
      second.kill('SIGTERM');
      await exited(second);
    }
    expect((await tags()).filter((t) => t.startsWith('dropped'))).toEqual(Array(5).fill('dropped'));
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
