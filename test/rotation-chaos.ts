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

export function runChaos(o: ChaosOptions): Promise<ChaosRun> {
  return new Chaos(o).run();
}

/**
 * Two loops, each with a generator of its own: the application writing bursts of lines, and the
 * operator's side (logrotate, and a supervisor that kills the shipper and starts it again). A rotation
 * holds the writer back as logrotate's steps do.
 */
class Chaos {
  private readonly ops: () => number;
  private readonly app: () => number;
  private readonly file: string;
  private readonly steps: string[] = [];
  private readonly outputs: string[] = [];
  private next = 0;
  private rotated = 0;
  private writer!: FileHandle;
  private busy: Promise<void> = Promise.resolve();
  private shipper: ReturnType<typeof startCli> | undefined;
  private upSince = 0;
  private lastRotation = 0;
  /** Whether the shipper had seen app.log since the last rotation when it was stopped. */
  private seenAtStop = true;

  constructor(private readonly o: ChaosOptions) {
    this.ops = generator(o.seed);
    this.app = generator(o.seed ^ 0x5bd1e995);
    this.file = path.join(o.dir, 'app.log');
  }

  async run(): Promise<ChaosRun> {
    this.writer = await open(this.file, 'a');
    // A shipper's first start reads what is already there from its end (tail -f): the application
    // starts writing once it runs.
    await this.start();
    let writing = true;
    const application = (async () => {
      while (writing) {
        await this.exclusive(() => this.burst());
        await sleep(this.between(this.app, 10, 150));
      }
    })();
    for (let round = 0; round < this.o.rounds; round++) await this.round(round);
    writing = false;
    await application;
    await this.busy;
    await this.writer.close();
    const last = this.shipper!;
    const outputs = this.outputs;
    return { lines: this.next, steps: this.steps, shipper: last, output: () => [...outputs, last.output()].join('\n---- restart ----\n') };
  }

  private pick(p: number): boolean {
    return this.ops() < p;
  }

  private between(random: () => number, lo: number, hi: number): number {
    return lo + Math.floor(random() * (hi - lo + 1));
  }

  /** One shipper's life: 0.15-2.5 s (as when it is killed every 1-2 s), logrotate perhaps meanwhile, then perhaps a kill and a restart. */
  private async round(round: number): Promise<void> {
    // Half the time it is killed before the server could confirm what it read since it started.
    const life = this.pick(0.5) ? this.between(this.ops, 150, 900) : this.between(this.ops, 900, 2500);
    const paused = this.pick(0.25);
    if (paused) this.o.server.kill('SIGSTOP');
    const rotateAt = this.pick(0.4) ? this.between(this.ops, 0, life) : undefined;
    if (rotateAt !== undefined) {
      await sleep(rotateAt);
      if (this.mayRotate()) await this.rotate();
    }
    await sleep(life - (rotateAt ?? 0));
    const lives = this.pick(0.3); // on into the next round
    const signal = this.pick(0.85) ? 'SIGKILL' : 'SIGTERM';
    // A SIGTERM drains for up to 30 s: the server answers again first.
    if (paused && (lives || signal === 'SIGTERM')) this.o.server.kill('SIGCONT');
    if (lives) return;
    this.seenAtStop = this.seen(Date.now());
    await this.halt(signal);
    if (paused) this.o.server.kill('SIGCONT');
    // While it is down: the application writes on, and logrotate may run (once: it had seen the last).
    await sleep(this.between(this.ops, 0, 800));
    if (this.pick(0.5) && this.mayRotate()) await this.rotate();
    await sleep(this.between(this.ops, 0, 800));
    await this.start();
    this.steps.push(`${round}: ${this.next} lines`);
  }

  /** Runs `step` with the writer held back, as logrotate's rename or copy-and-truncate does. */
  private exclusive(step: () => Promise<void>): Promise<void> {
    return (this.busy = this.busy.then(step));
  }

  private async burst(): Promise<void> {
    let text = '';
    for (let n = this.between(this.app, 1, 300); n > 0; n--) text += `${TS} INFO ${'x'.repeat(this.between(this.app, 0, 120))} line ${this.next++}\n`;
    await this.writer.write(text);
  }

  private async start(): Promise<void> {
    const args = ['ship', '--service', 'chaos', '--state-dir', path.join(this.o.dir, 'state'), '--rotate-wait', '1s', '--batch-size', String(this.between(this.ops, 50, 1000)), path.join(this.o.dir, this.o.pattern)];
    const child = startCli(args, { ...this.o.env, LOGFLOW_LOG_LEVEL: 'info' });
    this.shipper = child;
    await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`the shipper exited ${child.exitCode}: ${child.output()}`);
      return child.output().includes('"msg":"tailing"') ? true : undefined;
    }, 30_000, 'the shipper to take up app.log');
    this.upSince = Date.now();
  }

  private async halt(signal: NodeJS.Signals): Promise<void> {
    const child = this.shipper!;
    child.kill(signal);
    await exited(child);
    this.outputs.push(child.output());
    this.shipper = undefined;
    this.steps.push(`${signal} @${this.next}`);
  }

  /** Whether a shipper has seen app.log since the last rotation: a shipper started since, or one that ran long enough. */
  private seen(until: number): boolean {
    return this.upSince > this.lastRotation || until - this.lastRotation >= SEEN_MS;
  }

  private mayRotate(): boolean {
    return this.shipper ? this.seen(Date.now()) : this.seenAtStop;
  }

  private rotate(): Promise<void> {
    return this.exclusive(async () => {
      // logrotate's numbering: app.log.1 is the newest; the older ones move up by one.
      for (let k = this.rotated; k >= 1; k--) await rename(`${this.file}.${k}`, `${this.file}.${k + 1}`);
      this.rotated++;
      const how = this.pick(0.6) ? 'rename' : 'copytruncate';
      if (how === 'rename') {
        await rename(this.file, `${this.file}.1`);
        await writeFile(this.file, ''); // logrotate's `create`
        // The application goes on writing into the renamed file until it reopens its log (postrotate).
        if (this.pick(0.5)) await this.burst();
        await sleep(this.between(this.ops, 0, 300));
        await this.writer.close();
        this.writer = await open(this.file, 'a');
      } else {
        // The writes wait while the file is copied and truncated, then go on at offset 0 (O_APPEND).
        await copyFile(this.file, `${this.file}.1`);
        await truncate(this.file, 0);
      }
      this.steps.push(`${how}${this.shipper ? '' : ' while down'} @${this.next}`);
      this.lastRotation = Date.now();
      if (!this.shipper) this.seenAtStop = false;
    });
  }
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
