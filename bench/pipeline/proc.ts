// CPU seconds from the kernel's own counters (/proc), for one process and for the whole machine, so a
// figure can be read beside how busy the machine was while it was taken (the machine is shared).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

const TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of a process, every thread; undefined when it is gone. */
export function cpuSecondsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command name in parentheses (which may hold spaces): utime, stime are fields 12, 13.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS;
  } catch {
    return undefined;
  }
}

function commOf(pid: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The shared services' processes: their CPU is our load and other people's alike. */
const SERVICE_COMMS: Record<string, string> = { 'redis-server': 'Redis', postgres: 'PostgreSQL', java: 'OpenSearch' };

function serviceCpu(): Map<string, number> {
  const out = new Map<string, number>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const comm = commOf(pid);
    if (!comm || !(comm in SERVICE_COMMS)) continue;
    const cpu = cpuSecondsOf(Number(pid));
    if (cpu !== undefined) out.set(pid, cpu);
  }
  return out;
}

function machineBusySeconds(): { busy: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0); // idle + iowait
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / TICKS, total: total / TICKS };
}

export interface LoadWindow {
  seconds: number;
  cores: number;
  /** Cores busy on average over the window, whoever used them. */
  busyCores: number;
  /** Of those, the processes this bench started (and itself). */
  benchCores: number;
  /** Redis, PostgreSQL and OpenSearch (shared: our load and anybody else's). */
  serviceCores: number;
  /** Everything else: other people's work on the machine. */
  otherCores: number;
  loadAverage: number;
}

/**
 * Watches the machine between start() and stop(): how busy it was and by whom. `ours` names the pids
 * this bench started; the bench process itself is always counted.
 */
export class MachineLoad {
  private readonly t0 = performance.now();
  private readonly m0 = machineBusySeconds();
  private readonly s0 = serviceCpu();
  private readonly ours0 = new Map<number, number>();
  private readonly self0 = process.cpuUsage();

  constructor(private readonly ours: () => number[]) {
    for (const pid of ours()) this.ours0.set(pid, cpuSecondsOf(pid) ?? 0);
  }

  /** A process of ours started after the window opened counts in full; stop before ending ours. */
  stop(): LoadWindow {
    const seconds = (performance.now() - this.t0) / 1000;
    const m1 = machineBusySeconds();
    const s1 = serviceCpu();
    let services = 0;
    for (const [pid, cpu] of s1) services += cpu - (this.s0.get(pid) ?? 0); // a backend that started meanwhile counts in full
    const self = process.cpuUsage(this.self0);
    let bench = (self.user + self.system) / 1e6;
    for (const pid of this.ours()) bench += (cpuSecondsOf(pid) ?? 0) - (this.ours0.get(pid) ?? 0);
    const busy = m1.busy - this.m0.busy;
    const cores = os.cpus().length;
    return {
      seconds,
      cores,
      busyCores: busy / seconds,
      benchCores: bench / seconds,
      serviceCores: services / seconds,
      otherCores: Math.max(0, busy - bench - services) / seconds,
      loadAverage: os.loadavg()[0]!,
    };
  }
}

export function describeLoad(w: LoadWindow): string {
  const f = (n: number) => n.toFixed(2);
  return `machine over ${w.seconds.toFixed(1)} s: ${f(w.busyCores)} of ${w.cores} cores busy (this bench's processes ${f(w.benchCores)}, Redis+PostgreSQL+OpenSearch ${f(w.serviceCores)}, others ${f(w.otherCores)}); load average ${f(w.loadAverage)}`;
}
