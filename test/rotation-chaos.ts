import type { ChildProcess } from 'node:child_process';
import { copyFile, mkdtemp, open, readdir, readFile, rename, rm, stat, truncate, writeFile, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exited, startCli, stop } from './cli.ts';
import { eventually, REDIS_URL } from './helpers.ts';
import { startStack, type Stack } from './stack.ts';
import { exactly, tally, waitForRows, workerCaughtUp } from './tally.ts';

// A seeded, randomized run of an application writing numbered lines to app.log while logrotate
// rotates it (rename-and-create and copytruncate) and `logflow ship` is killed (mostly SIGKILL) and
// started again, over many rounds; then every line must be in PostgreSQL once. Every step taken is
// kept in `steps`, and the same seed takes the same steps (the timings around them vary), so a
// failure can be replayed with LOGFLOW_TEST_SEED.
//
// What no agent can ship is left out, as the fault model: a file created and rotated away before the
// shipper ever ran to see it is invisible to a pattern that names only app.log. So a rotation waits
// until a shipper has been up for a moment since the previous one; lines written in between are fine.

export interface ChaosOptions {
  seed: number;
  rounds: number;
  dir: string;
  /** What the shipper is told to read: the live file only (`app.log`), or the rotated ones too (`app.log*`). */
  pattern: 'app.log' | 'app.log*';
  env: NodeJS.ProcessEnv;
  /** The `logflow server` the shipper sends to: now and then stopped (SIGSTOP) for a while, so kills find lines read and not yet confirmed. */
  server: ChildProcess;
}

export interface ChaosRun {
  /** Lines written: numbered 0..lines-1. */
  lines: number;
  steps: string[];
  /** The shipper running at the end (still running: the caller waits for the lines, then stops it). */
  shipper: ReturnType<typeof startCli>;
  /** Everything every shipper of the run said on stderr, for a failure's message. */
  output(): string;
}

/** mulberry32: a small seeded generator, so a run can be replayed from its seed. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed to run: LOGFLOW_TEST_SEED replays one; otherwise a new one, which the caller prints. */
export function chaosSeed(): number {
  const given = process.env.LOGFLOW_TEST_SEED;
  return given ? Number(given) : Math.floor(Math.random() * 2 ** 31);
}

const TS = '2026-11-06T00:00:00.000Z';
/** A rotation this long after the previous one, while a shipper runs, comes after its rescan saw the new file. */
const SEEN_MS = 1500;

/**
 * Two loops, each with a generator of its own: the application writing bursts of lines, and the
 * operator's side (logrotate, and a supervisor that kills the shipper and starts it again). A rotation
 * holds the writer back as logrotate's steps do.
 */
export async function runChaos(o: ChaosOptions): Promise<ChaosRun> {
  const ops = generator(o.seed);
  const app = generator(o.seed ^ 0x5bd1e995);
  const pick = (p: number) => ops() < p;
  const between = (random: () => number, lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const file = path.join(o.dir, 'app.log');
  const steps: string[] = [];
  const outputs: string[] = [];
  let next = 0;
  let rotated = 0;
  let writer: FileHandle = await open(file, 'a');
  let busy: Promise<void> = Promise.resolve();
  let shipper: ReturnType<typeof startCli> | undefined;
  let upSince = 0;
  let lastRotation = 0;
  let writing = true;

  /** Runs `step` with the writer held back, as logrotate's rename or copy-and-truncate does. */
  const exclusive = (step: () => Promise<void>): Promise<void> => (busy = busy.then(step));
  const burst = async (to: FileHandle) => {
    let text = '';
    for (let n = between(app, 1, 300); n > 0; n--) text += `${TS} INFO ${'x'.repeat(between(app, 0, 120))} line ${next++}\n`;
    await to.write(text);
  };
  const start = async () => {
    const args = ['ship', '--service', 'chaos', '--state-dir', path.join(o.dir, 'state'), '--rotate-wait', '1s', '--batch-size', String(between(ops, 50, 1000)), path.join(o.dir, o.pattern)];
    const child = startCli(args, { ...o.env, LOGFLOW_LOG_LEVEL: 'info' });
    shipper = child;
    await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`the shipper exited ${child.exitCode}: ${child.output()}`);
      return child.output().includes('"msg":"tailing"') ? true : undefined;
    }, 30_000, 'the shipper to take up app.log');
    upSince = Date.now();
  };
  const halt = async (signal: NodeJS.Signals) => {
    shipper!.kill(signal);
    await exited(shipper!);
    outputs.push(shipper!.output());
    shipper = undefined;
    steps.push(`${signal} @${next}`);
  };
  /** Whether a shipper has seen app.log since the last rotation: a shipper started since, or one that ran long enough. */
  const seen = (until: number) => upSince > lastRotation || until - lastRotation >= SEEN_MS;
  let seenAtStop = true;
  const mayRotate = () => (shipper ? seen(Date.now()) : seenAtStop);
  // logrotate's numbering: app.log.1 is the newest; the older ones move up by one.
  const shift = async () => {
    for (let k = rotated; k >= 1; k--) await rename(`${file}.${k}`, `${file}.${k + 1}`);
    rotated++;
  };
  const rotate = () =>
    exclusive(async () => {
      await shift();
      if (pick(0.6)) {
        await rename(file, `${file}.1`);
        await writeFile(file, ''); // logrotate's `create`
        // The application goes on writing into the renamed file until it reopens its log (postrotate).
        if (pick(0.5)) await burst(writer);
        await sleep(between(ops, 0, 300));
        await writer.close();
        writer = await open(file, 'a');
        steps.push(`${shipper ? 'rename' : 'rename while down'} @${next}`);
      } else {
        // The writes wait while the file is copied and truncated, then go on at offset 0 (O_APPEND).
        await copyFile(file, `${file}.1`);
        await truncate(file, 0);
        steps.push(`${shipper ? 'copytruncate' : 'copytruncate while down'} @${next}`);
      }
      lastRotation = Date.now();
      if (!shipper) seenAtStop = false;
    });

  // A shipper's first start reads what is already there from its end (tail -f): the application
  // starts writing once it runs.
  await start();
  const application = (async () => {
    while (writing) {
      await exclusive(() => burst(writer));
      await sleep(between(app, 10, 150));
    }
  })();

  for (let round = 0; round < o.rounds; round++) {
    // A shipper lives 0.15-2.5 s, as when it is killed every 1-2 s; half the time it is killed before
    // the server could confirm what it read since it started. logrotate may come meanwhile.
    const life = pick(0.5) ? between(ops, 150, 900) : between(ops, 900, 2500);
    const paused = pick(0.25);
    if (paused) o.server.kill('SIGSTOP');
    const rotateAt = pick(0.4) ? between(ops, 0, life) : undefined;
    if (rotateAt !== undefined) {
      await sleep(rotateAt);
      if (mayRotate()) await rotate();
    }
    await sleep(life - (rotateAt ?? 0));
    const lives = pick(0.3); // on into the next round
    const signal = pick(0.85) ? 'SIGKILL' : 'SIGTERM';
    // A SIGTERM drains for up to 30 s: the server answers again first.
    if (paused && (lives || signal === 'SIGTERM')) o.server.kill('SIGCONT');
    if (lives) continue;
    seenAtStop = seen(Date.now());
    await halt(signal);
    if (paused) o.server.kill('SIGCONT');
    // While it is down: the application writes on, and logrotate may run (once: it had seen the last).
    await sleep(between(ops, 0, 800));
    if (pick(0.5) && mayRotate()) await rotate();
    await sleep(between(ops, 0, 800));
    await start();
    steps.push(`${round}: ${next} lines`);
  }
  writing = false;
  await application;
  await busy;
  await writer.close();
  const last = shipper!;
  return { lines: next, steps, shipper: last, output: () => [...outputs, last.output()].join('\n---- restart ----\n') };
}

/**
 * The test: `rounds` rounds against a LogFlow of its own (server, worker, PostgreSQL), then every line
 * must be in PostgreSQL exactly once. Prints the seed first, and what the run did at the end.
 */
export function describeChaos(pattern: ChaosOptions['pattern'], rounds: number): void {
  describe(`when ${pattern} is rotated and the shipper killed at random, ${rounds} rounds`, () => {
    let stack: Stack;
    let db: pg.Client;
    let dir: string;
    const redis = new Redis(REDIS_URL);

    beforeAll(async () => {
      stack = await startStack({ opensearch: false });
      db = new pg.Client({ connectionString: stack.databaseUrl });
      await db.connect();
      dir = await mkdtemp(path.join(os.tmpdir(), 'logflow-chaos-'));
    });

    afterAll(async () => {
      await db?.end();
      redis.disconnect();
      await stack?.destroy();
      await rm(dir, { recursive: true, force: true });
    });

    it('does store every line exactly once', { timeout: 60_000 + rounds * 10_000 }, async () => {
      const seed = chaosSeed();
      const what = `ship rotation chaos (${pattern}, ${rounds} rounds): seed ${seed}`;
      console.log(`${what} (replay: LOGFLOW_TEST_SEED=${seed})`);
      const key = await stack.createProject('chaos');
      const { rows } = await db.query<{ id: string }>("SELECT id FROM projects WHERE name = 'chaos'");
      const id = Number(rows[0]!.id);
      const started = Date.now();
      const run = await runChaos({ seed, rounds, dir, pattern, env: { ...stack.env, LOGFLOW_API_KEY: key }, server: stack.server! });
      try {
        const first = await waitForRows(db, id, run.lines, run.lines, 120_000);
        await sleep(2000); // nothing more arrives: no line twice
        await workerCaughtUp(redis, stack.namespace);
        const t = await tally(db, id, run.lines);
        const count = (step: string) => run.steps.filter((s) => s.startsWith(`${step} @`)).length;
        const did = `${count('rename')} + ${count('rename while down')} renames (running + stopped), ${count('copytruncate')} + ${count('copytruncate while down')} copytruncates, ${count('SIGKILL')} SIGKILLs, ${count('SIGTERM')} SIGTERMs`;
        console.log(`${what}: ${run.lines} lines, ${did} in ${Math.round((Date.now() - started) / 1000)} s: ${t.rows} rows, ${t.missing.length ? `missing ${t.missing.join(',')}` : 'none missing'}, ${t.duplicated.length ? 'some twice' : 'none twice'}`);
        const where = t.missing.length || t.duplicated.length ? await whereIs(dir, [t.missing[0], Number(/line (\d+)$/.exec(t.duplicated[0] ?? '')?.[1])]) : '';
        expect(t, `${what}: ${run.steps.join(', ')}\n${first.rows} rows at first\n${where}\n${run.output()}`).toEqual(exactly(run.lines));
      } finally {
        await stop(run.shipper);
      }
    });
  });
}

/** Where lines are on disk at the end, and what the checkpoints say of those files: for a failure's message. */
async function whereIs(dir: string, lines: (number | undefined)[]): Promise<string> {
  const out: string[] = [];
  const names = (await readdir(dir)).filter((n) => n.startsWith('app.log')).sort();
  for (const name of names) {
    const file = path.join(dir, name);
    const [st, text] = await Promise.all([stat(file), readFile(file, 'latin1')]);
    const found = lines.filter((n) => n !== undefined && !Number.isNaN(n)).map((n) => `line ${n} at byte ${text.search(new RegExp(`^.* line ${n}$`, 'm'))}`);
    out.push(`${name}: inode ${st.ino}, ${st.size} bytes, lines ${/ line (\d+)$/m.exec(text)?.[1]}..${/ line (\d+)\n$/.exec(text)?.[1]}; ${found.filter((f) => !f.endsWith(' -1')).join('; ')}`);
  }
  const checkpoints = await readFile(path.join(dir, 'state', 'chaos', 'checkpoints.json'), 'utf8').catch(() => '(none)');
  return `on disk:\n${out.join('\n')}\ncheckpoints: ${checkpoints}`;
}
