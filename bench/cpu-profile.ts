// Where a .cpuprofile (node --cpu-prof) spent its time: functions by self time, by inclusive time
// (ours only), and self time summed by area (a file of ours, a library, Node internals, GC).
//   npx tsx bench/cpu-profile.ts PROFILE.cpuprofile [top]
// Only the main thread is sampled: gzip on libuv's pool shows as CPU seconds, never here.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileRow {
  name: string;
  ms: number;
  share: number;
}
export interface ProfileSummary {
  totalMs: number;
  self: ProfileRow[];
  inclusive: ProfileRow[];
  areas: ProfileRow[];
}

const REPO = fileURLToPath(new URL('..', import.meta.url));

function where(url: string): string {
  if (!url) return '';
  const p = url.startsWith('file://') ? fileURLToPath(url) : url;
  const lib = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(p);
  if (lib) return lib[1]!;
  return p.startsWith(REPO) ? p.slice(REPO.length) : p;
}

function keyOf(n: ProfileNode): string {
  const { functionName, url, lineNumber } = n.callFrame;
  const at = where(url);
  // Code that tsx compiled reports line 0 for everything: a line number only where it means something.
  return at ? `${functionName || '(anonymous)'}  ${at}${lineNumber > 0 ? `:${lineNumber + 1}` : ''}` : functionName || '(anonymous)';
}

function areaOf(n: ProfileNode): string {
  const { functionName, url } = n.callFrame;
  if (!url) return functionName.startsWith('(') ? functionName : 'V8 built-ins (JSON, RegExp, strings)';
  const at = where(url);
  if (at.startsWith('node:')) return at.split('/').slice(0, 2).join('/');
  return at;
}

function top(map: Map<string, number>, total: number, n: number): ProfileRow[] {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, us]) => ({ name, ms: us / 1000, share: us / total }));
}

export function summarizeProfile(file: string, n = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time before sample i: it belongs to the sample before it.
  for (let i = 0; i < profile.samples.length - 1; i++) {
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + profile.timeDeltas[i + 1]!);
  }
  const idle = new Set(profile.nodes.filter((node) => node.callFrame.functionName === '(idle)').map((node) => node.id));
  let total = 0;
  const self = new Map<string, number>();
  const areas = new Map<string, number>();
  for (const [id, us] of selfUs) {
    if (idle.has(id)) continue;
    const node = byId.get(id)!;
    total += us;
    self.set(keyOf(node), (self.get(keyOf(node)) ?? 0) + us);
    areas.set(areaOf(node), (areas.get(areaOf(node)) ?? 0) + us);
  }
  // Inclusive time of our own functions, counting a recursive call once.
  const inclusive = new Map<string, number>();
  const walk = (id: number, onStack: Set<string>): number => {
    const node = byId.get(id)!;
    let us = idle.has(id) ? 0 : (selfUs.get(id) ?? 0);
    const key = keyOf(node);
    const ours = node.callFrame.url.startsWith('file://') && !node.callFrame.url.includes('node_modules') && !onStack.has(key);
    if (ours) onStack.add(key);
    for (const child of node.children ?? []) us += walk(child, onStack);
    if (ours) {
      onStack.delete(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
    return us;
  };
  walk(profile.nodes[0]!.id, new Set());
  return { totalMs: total / 1000, self: top(self, total, n), inclusive: top(inclusive, total, n), areas: top(areas, total, n) };
}

export function printProfile(s: ProfileSummary, print: (line: string) => void = console.log): void {
  const row = (r: ProfileRow) => `  ${r.ms.toFixed(0).padStart(7)} ms ${(r.share * 100).toFixed(1).padStart(5)}%  ${r.name}`;
  print(`main thread busy ${s.totalMs.toFixed(0)} ms (idle left out)`);
  print('self time, by function:');
  s.self.forEach((r) => print(row(r)));
  print('self time, by area:');
  s.areas.forEach((r) => print(row(r)));
  print('inclusive time, LogFlow functions:');
  s.inclusive.forEach((r) => print(row(r)));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [file, n] = process.argv.slice(2);
  if (!file) {
    console.error('usage: npx tsx bench/cpu-profile.ts PROFILE.cpuprofile [top]');
    process.exit(2);
  }
  printProfile(summarizeProfile(file, n ? Number(n) : 25));
}
