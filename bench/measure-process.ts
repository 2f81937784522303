// Runs a command and measures it from outside, as `time` and `top` would: wall time, CPU seconds
// (user + system, every thread: gzip runs on libuv's pool) and resident memory over time. The exact
// totals come from the kernel's rusage through GNU time when it is installed; /proc is sampled every
// ~50 ms for the memory curve and for figures taken while the process still runs.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const GNU_TIME = '/usr/bin/time';
const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export interface Sample {
  atMs: number;
  rssBytes: number;
}

export interface Snapshot {
  wallMs: number;
  cpuSeconds: number;
  /** The main (JavaScript) thread's share of cpuSeconds, from /proc: the rest is libuv's pool (gzip, fs) and V8's helpers (GC). */
  mainThreadCpuSeconds: number;
  peakRssBytes: number;
}

export interface Finished extends Snapshot {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  samples: Sample[];
  stderr: string;
  /** Where cpuSeconds and peakRssBytes come from. */
  source: 'rusage (GNU time)' | '/proc samples';
}

export interface Measured {
  /** The measured process (node itself, not the GNU time wrapping it), once known. */
  pid(): Promise<number>;
  /** Figures now, from /proc (the process is still running). */
  snapshot(): Snapshot;
  kill(signal: NodeJS.Signals): Promise<void>;
  done: Promise<Finished>;
}

export const hasGnuTime = existsSync(GNU_TIME);

/** Starts `node args…` with stdin read from `stdinFile` (as `< file` would) or empty. */
export function startMeasured(args: string[], o: { stdinFile?: string; env?: NodeJS.ProcessEnv; cwd?: string; sampleMs?: number } = {}): Measured {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'logflow-bench-time-'));
  const timeFile = path.join(tmp, 'rusage');
  const stdin = o.stdinFile ? openSync(o.stdinFile, 'r') : 'ignore';
  const [cmd, argv] = hasGnuTime ? [GNU_TIME, ['-f', '%e %U %S %M', '-o', timeFile, process.execPath, ...args]] : [process.execPath, args];
  const started = performance.now();
  const child = spawn(cmd, argv, { stdio: [stdin, 'ignore', 'pipe'], env: o.env, cwd: o.cwd });
  if (typeof stdin === 'number') closeSync(stdin);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-20_000)));

  let target: number | undefined = hasGnuTime ? undefined : child.pid;
  const samples: Sample[] = [];
  let last = { cpuSeconds: 0, mainThreadCpuSeconds: 0, hwm: 0 };
  const sample = () => {
    target ??= childOf(child.pid!);
    if (target === undefined) return;
    const now = readProc(target);
    if (!now?.rss) return; // gone, or a zombie (no memory left to report)
    last = { cpuSeconds: now.cpuSeconds, mainThreadCpuSeconds: now.mainThreadCpuSeconds, hwm: Math.max(last.hwm, now.hwm) };
    samples.push({ atMs: performance.now() - started, rssBytes: now.rss });
  };
  const timer = setInterval(sample, o.sampleMs ?? 50);

  const done = new Promise<Finished>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const wallMs = performance.now() - started;
      clearInterval(timer);
      const rusage = hasGnuTime ? readRusage(timeFile) : undefined;
      rmSync(tmp, { recursive: true, force: true });
      resolve({
        exitCode: code,
        signal,
        wallMs,
        cpuSeconds: rusage?.cpuSeconds ?? last.cpuSeconds,
        mainThreadCpuSeconds: last.mainThreadCpuSeconds,
        peakRssBytes: Math.max(rusage?.maxRssBytes ?? 0, last.hwm),
        samples,
        stderr,
        source: rusage ? 'rusage (GNU time)' : '/proc samples',
      });
    });
  });

  return {
    async pid() {
      for (;;) {
        if (target !== undefined) return target;
        target = childOf(child.pid!);
        if (target === undefined) await new Promise((r) => setTimeout(r, 5));
      }
    },
    snapshot() {
      sample();
      return { wallMs: performance.now() - started, ...last, peakRssBytes: last.hwm };
    },
    async kill(signal) {
      process.kill(await this.pid(), signal);
    },
    done,
  };
}

/** The first child of `pid` (node under GNU time). */
function childOf(pid: number): number | undefined {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ')[0];
    return first ? Number(first) : undefined;
  } catch {
    return undefined;
  }
}

/** utime + stime of a process (/proc/PID/stat) or one of its threads (/proc/PID/task/TID/stat). */
function cpuOf(statFile: string): number {
  const stat = readFileSync(statFile, 'utf8');
  // Fields after the command name (which may hold spaces) in parentheses: utime and stime are the
  // 14th and 15th fields overall, so the 12th and 13th after ") ".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

function readProc(pid: number): { cpuSeconds: number; mainThreadCpuSeconds: number; rss: number; hwm: number } | undefined {
  try {
    const cpuSeconds = cpuOf(`/proc/${pid}/stat`);
    const mainThreadCpuSeconds = cpuOf(`/proc/${pid}/task/${pid}/stat`);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { cpuSeconds, mainThreadCpuSeconds, rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return undefined; // gone between two samples
  }
}

function readRusage(file: string): { cpuSeconds: number; maxRssBytes: number } | undefined {
  try {
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const [, user, system, maxKb] = lines.at(-1)!.split(' ').map(Number);
    return { cpuSeconds: user! + system!, maxRssBytes: maxKb! * 1024 };
  } catch {
    return undefined;
  }
}
