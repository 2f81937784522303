import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exited, runCli, startCli, stop } from './cli.ts';
import { eventually } from './helpers.ts';
import { startStack, type Stack } from './stack.ts';

const line = (i: number) => `2026-11-03T00:00:00.000Z INFO delivery line ${i}`;
const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => line(from + i)).join('\n') + '\n';

describe('when the server goes away while lines are shipped', () => {
  let stack: Stack;
  let key: string;
  let db: pg.Client;

  const stored = async (service: string) => {
    const { rows } = await db.query('SELECT count(*)::int AS n, count(DISTINCT message)::int AS d FROM logs WHERE service = $1', [service]);
    return rows[0] as { n: number; d: number };
  };
  // ship exits once the server has the events; the worker writes them a moment later.
  const storedEventually = (service: string, n: number) =>
    eventually(async () => {
      const s = await stored(service);
      return s.n >= n ? s : undefined;
    }, 30_000, `${n} events of ${service}`);
  const spooled = async (service: string) => (await readdir(path.join(stack.stateDir, service, 'spool')).catch(() => [])).filter((f) => /\.ndjson(\.gz)?$/.test(f)).length;

  beforeAll(async () => {
    stack = await startStack({ opensearch: false });
    key = await stack.createProject('shop');
    db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await stack?.destroy();
  });

  it('keeps reading (the writer is never blocked), spools, and delivers everything once it is back', async () => {
    const ship = startCli(['ship', '--service', 'outage', '--memory-limit', '64KiB', '--batch-size', '200', '--flush-interval', '100ms'], { ...stack.env, LOGFLOW_API_KEY: key }, 'pipe');
    const write = (text: string) => new Promise<void>((resolve, reject) => ship.stdin!.write(text, (err) => (err ? reject(err) : resolve())));
    await write(lines(0, 2000));
    await eventually(async () => ((await stored('outage')).n === 2000 ? true : undefined), 30_000, 'the first lines');

    await stop(stack.server);
    // 8,000 lines (~400 KB, far more than a pipe buffer) while nobody accepts them: every write
    // completes because the shipper keeps reading and spools what it cannot send.
    for (let i = 2000; i < 10_000; i += 1000) await write(lines(i, i + 1000));
    await eventually(async () => ((await spooled('outage')) > 0 ? true : undefined), 30_000, 'batches in the spool');

    await stack.startServer();
    ship.stdin!.end();
    expect(await exited(ship), ship.output()).toBe(0);
    expect(await storedEventually('outage', 10_000)).toEqual({ n: 10_000, d: 10_000 });
    expect(await spooled('outage')).toBe(0);
  });

  it('leaves what it could not deliver in the spool, says so, and sends it first on the next run', async () => {
    await stop(stack.server);
    const first = await runCli(['ship', '--service', 'later', '--drain-timeout', '1s'], { ...stack.env, LOGFLOW_API_KEY: key }, lines(0, 3000));
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/3000 events wait in the spool/);
    await stack.startServer();
    const second = await runCli(['ship', '--service', 'later'], { ...stack.env, LOGFLOW_API_KEY: key }, '');
    expect(second.code, second.stderr).toBe(0);
    expect(await storedEventually('later', 3000)).toEqual({ n: 3000, d: 3000 });
  });

  it('waits, losing nothing, while the spool cannot be written (a full disk), and goes on once it can', async () => {
    await stop(stack.server);
    const ship = startCli(['ship', '--service', 'diskfull', '--memory-limit', '16KiB', '--batch-size', '100', '--flush-interval', '100ms'], { ...stack.env, LOGFLOW_API_KEY: key }, 'pipe');
    const write = (text: string) => new Promise<void>((resolve, reject) => ship.stdin!.write(text, (err) => (err ? reject(err) : resolve())));
    await write(lines(0, 2000));
    await eventually(async () => ((await spooled('diskfull')) > 0 ? true : undefined), 30_000, 'batches in the spool');
    // The spool directory becomes a file: every write to it fails, as on a full disk.
    const dir = path.join(stack.stateDir, 'diskfull', 'spool');
    await rename(dir, `${dir}.aside`);
    await writeFile(dir, '');
    const more = write(lines(2000, 4000));
    await eventually(async () => (/cannot write to the spool/.test(ship.output()) ? true : undefined), 30_000, 'the spool error');
    expect(ship.exitCode).toBeNull();
    await rm(dir);
    await rename(`${dir}.aside`, dir);
    await stack.startServer();
    await more;
    ship.stdin!.end();
    expect(await exited(ship), ship.output()).toBe(0);
    expect(await storedEventually('diskfull', 4000)).toEqual({ n: 4000, d: 4000 });
  });

  it('delivers a batch an earlier version left in the spool as plain NDJSON', async () => {
    const spool = path.join(stack.stateDir, 'legacy', 'spool');
    await mkdir(spool, { recursive: true });
    const events = [0, 1, 2].map((i) => JSON.stringify({ event_id: `old:${i}`, timestamp: '2026-11-05T00:00:00.000Z', service: 'legacy', level: 'INFO', message: `spooled ${i}` }));
    await writeFile(path.join(spool, '000000000007.ndjson'), `${events.join('\n')}\n`);
    const run = await runCli(['ship', '--service', 'legacy'], { ...stack.env, LOGFLOW_API_KEY: key }, '');
    expect(run.code, run.stderr).toBe(0);
    expect(await storedEventually('legacy', 3)).toEqual({ n: 3, d: 3 });
    expect(await spooled('legacy')).toBe(0);
  });

  it('with --when-full drop-oldest, drops the oldest batches and counts every dropped line', async () => {
    await stop(stack.server);
    const total = 6000;
    const args = ['ship', '--service', 'tiny', '--spool-max', '8KiB', '--memory-limit', '16KiB', '--batch-size', '100', '--when-full', 'drop-oldest', '--drain-timeout', '1s'];
    const first = await runCli(args, { ...stack.env, LOGFLOW_API_KEY: key }, lines(0, total));
    expect(first.code).toBe(1);
    const dropped = Number(/(\d+) dropped/.exec(first.stderr)?.[1]);
    expect(dropped).toBeGreaterThan(0);
    await stack.startServer();
    expect((await runCli(['ship', '--service', 'tiny'], { ...stack.env, LOGFLOW_API_KEY: key }, '')).code).toBe(0);
    const { n, d } = await storedEventually('tiny', total - dropped);
    expect(n).toBe(d);
    expect(n + dropped).toBe(total);
  });

  it('stops with a clear message when the key is refused', async () => {
    const r = await runCli(['ship', '--service', 'denied', '--drain-timeout', '1s'], { ...stack.env, LOGFLOW_API_KEY: 'lf_not_a_key' }, lines(0, 10));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/401.*API key is not valid/);
  });
});

describe('when an application logs stack traces', () => {
  let stack: Stack;
  let key: string;

  beforeAll(async () => {
    stack = await startStack({ opensearch: false });
    key = await stack.createProject('shop');
  });

  afterAll(async () => {
    await stack?.destroy();
  });

  it('ships each Java and Python trace as one event with the line above it, and a Node trace as one event', async () => {
    const input = [
      '2026-11-04T10:00:00Z INFO starting',
      '2026-11-04T10:00:01Z ERROR request failed',
      'java.lang.IllegalStateException: boom',
      '\tat com.acme.Service.handle(Service.java:42)',
      '\tat com.acme.Server.run(Server.java:7)',
      'Caused by: java.io.IOException: disk gone',
      '\tat com.acme.Disk.write(Disk.java:9)',
      '\t... 2 more',
      '2026-11-04T10:00:02Z ERROR job crashed',
      'Traceback (most recent call last):',
      '  File "/app/job.py", line 10, in <module>',
      '    run()',
      'ValueError: bad input',
      '2026-11-04T10:00:03Z ERROR handler threw',
      'Error: socket hang up',
      '    at connResetException (node:internal/errors:720:14)',
      '    at Socket.socketOnEnd (node:_http_client:525:23)',
      '2026-11-04T10:00:04Z INFO done',
    ].join('\n');
    const r = await runCli(['ship', '--service', 'traces'], { ...stack.env, LOGFLOW_API_KEY: key }, input + '\n');
    expect(r.code, r.stderr).toBe(0);
    const hits = await eventually(async () => {
      const s = await runCli(['search', '--service', 'traces', '--output', 'ndjson', '--limit', '100'], { ...stack.env, LOGFLOW_API_KEY: key });
      const events = s.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { message: string; level: string; event_id: string });
      // In the order they were written: event ids end with the byte offset of the event's first line.
      const offset = (e: { event_id: string }) => Number(e.event_id.split(':').pop());
      return events.length >= 6 ? events.sort((a, b) => offset(a) - offset(b)) : undefined;
    }, 30_000, 'the events');
    expect(hits.map((h) => h.message.split('\n')[0])).toEqual([
      '2026-11-04T10:00:00Z INFO starting',
      '2026-11-04T10:00:01Z ERROR request failed',
      '2026-11-04T10:00:02Z ERROR job crashed',
      '2026-11-04T10:00:03Z ERROR handler threw',
      'Error: socket hang up',
      '2026-11-04T10:00:04Z INFO done',
    ]);
    expect(hits[1]!.message).toContain('... 2 more');
    expect(hits[2]!.message).toMatch(/ValueError: bad input$/);
    // console.error(err) prints the error on its own: its frames join it, not the line above.
    expect(hits[4]!.message).toMatch(/socketOnEnd/);
    expect(hits[4]!.message.split('\n')).toHaveLength(3);
    expect(hits.map((h) => h.level)).toEqual(['INFO', 'ERROR', 'ERROR', 'ERROR', 'ERROR', 'INFO']);
  });

  it('ships a trace longer than --max-event-bytes in parts with every line, each with the level and time of the first', async () => {
    const frames = Array.from({ length: 400 }, (_, i) => `\tat com.acme.Frame${i}.run(Frame.java:${i})`);
    const trace = ['2026-11-04T11:00:00Z ERROR deep recursion', 'java.lang.StackOverflowError', ...frames];
    const r = await runCli(['ship', '--service', 'long-trace', '--max-event-bytes', '4KiB'], { ...stack.env, LOGFLOW_API_KEY: key }, `${trace.join('\n')}\n2026-11-04T11:00:01Z INFO after\n`);
    expect(r.code, r.stderr).toBe(0);
    const parts = await eventually(async () => {
      const s = await runCli(['search', '--service', 'long-trace', '--output', 'ndjson', '--limit', '100'], { ...stack.env, LOGFLOW_API_KEY: key });
      const events = s.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { message: string; level: string; timestamp: string; event_id: string });
      const offset = (e: { event_id: string }) => Number(e.event_id.split(':').pop());
      return events.length > 5 && events.some((e) => e.message.endsWith('after')) ? events.sort((a, b) => offset(a) - offset(b)).slice(0, -1) : undefined;
    }, 30_000, 'the parts');
    expect(parts.length).toBeGreaterThan(3);
    expect(parts.map((p) => p.message).join('\n')).toBe(trace.join('\n'));
    expect(new Set(parts.map((p) => `${p.level} ${p.timestamp}`))).toEqual(new Set(['ERROR 2026-11-04T11:00:00.000Z']));
  });
});
