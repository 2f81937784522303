import type { HistogramAnswer } from '../../shared/http.ts';
import { LEVELS, type Level } from '../../shared/levels.ts';

const COLOURS: Record<Level, string> = { DEBUG: '\x1b[90m', INFO: '\x1b[36m', WARN: '\x1b[33m', ERROR: '\x1b[31m' };
/** Without colour each level draws with a character of its own, so a piped histogram still tells them apart. */
const MARKS: Record<Level, string> = { DEBUG: '.', INFO: '=', WARN: '!', ERROR: '#' };
const RESET = '\x1b[0m';
// Worst first: the part of a bar a reader looks for comes first.
const ORDER: Level[] = ['ERROR', 'WARN', 'INFO', 'DEBUG'];

/** A horizontal bar per bucket, its parts per level, scaled to the fullest bucket; then a legend. */
export function drawHistogram(h: HistogramAnswer, o: { colour: boolean; width?: number }): string {
  const width = o.width ?? 60;
  const max = Math.max(1, ...h.buckets.map((b) => b.total));
  const label = labeller(h.interval_ms);
  const countWidth = String(max).length;
  const lines = [`${h.total} events from ${h.from} to ${h.to}, one bar per ${describeInterval(h.interval_ms)}`];
  for (const b of h.buckets) {
    let bar = '';
    let used = 0;
    let exact = 0;
    for (const level of ORDER) {
      exact += (b.counts[level] / max) * width;
      // Cumulative rounding: the parts add up to the bar of the total, and a non-zero level shows at least one cell.
      const cells = b.counts[level] ? Math.max(1, Math.round(exact) - used) : 0;
      used += cells;
      const mark = o.colour ? '█' : MARKS[level];
      if (cells) bar += o.colour ? `${COLOURS[level]}${mark.repeat(cells)}${RESET}` : mark.repeat(cells);
    }
    lines.push(`${label(b.start)} ${String(b.total).padStart(countWidth)} ${bar}`);
  }
  const legend = LEVELS.slice()
    .reverse()
    .map((l) => (o.colour ? `${COLOURS[l]}█${RESET} ${l}` : `${MARKS[l]} ${l}`))
    .join('  ');
  lines.push(legend);
  return lines.join('\n') + '\n';
}

function labeller(intervalMs: number): (iso: string) => string {
  if (intervalMs >= 86_400_000) return (iso) => iso.slice(0, 10);
  if (intervalMs >= 60_000) return (iso) => `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
  if (intervalMs >= 1000) return (iso) => `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
  return (iso) => `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

function describeInterval(ms: number): string {
  for (const [unit, size] of [['day', 86_400_000], ['hour', 3_600_000], ['minute', 60_000], ['second', 1000]] as const) {
    if (ms % size === 0) return ms === size ? unit : `${ms / size} ${unit}s`;
  }
  return `${ms} ms`;
}
