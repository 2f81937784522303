import { loadSettings } from '../../shared/config.ts';
import { readStatus, type Status } from '../../server/metrics/status.ts';
import { EXIT } from '../run.ts';

/** One screen of what an operator asks first; exits 1 when a store configured here does not answer. */
export async function status(o: { json?: boolean }): Promise<number> {
  const s = await readStatus(loadSettings());
  process.stdout.write(o.json ? JSON.stringify(s, null, 2) + '\n' : formatStatus(s));
  return s.sinks.some((k) => k.store === 'down') ? EXIT.FAILURE : EXIT.OK;
}

export function formatStatus(s: Status): string {
  const workers = s.workers.length ? s.workers.map((w) => w.consumer).join(', ') : 'none running';
  const head = `namespace ${s.namespace}: ${s.backlog.toLocaleString('en-US')} entries in the stream; workers: ${workers}\n\n`;
  const rows = [['SINK', 'STORE', 'LAG', 'PENDING', 'WRITTEN/S', 'DEAD LETTERS', 'OLDEST UNWRITTEN']];
  for (const k of s.sinks) {
    rows.push([k.sink, k.store === 'down' ? 'DOWN' : k.store === 'ok' ? 'ok' : '-', k.lag === null ? '?' : count(k.lag), count(k.pending), k.workers ? rate(k.writtenPerSecond) : 'no worker', count(k.deadLetters), k.oldestUnwrittenSeconds === null ? '-' : age(k.oldestUnwrittenSeconds)]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const table = rows.map((r) => r.map((c, i) => (i === 0 || i === 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd()).join('\n');
  const notes = s.sinks.filter((k) => k.storeDetail).map((k) => `  ${k.sink}: ${k.storeDetail}`);
  return `${head}${table}\n${notes.length ? `\n${notes.join('\n')}\n` : ''}`;
}

const count = (n: number) => n.toLocaleString('en-US');
const rate = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));

/** 42s, 5m 3s, 2h 10m, 3d 4h */
function age(seconds: number): string {
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}
