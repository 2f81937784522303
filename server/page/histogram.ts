import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { HistogramAnswer } from '../../shared/http.ts';
import { LEVELS, type Level } from '../../shared/levels.ts';
import { replace } from './dom.ts';
import { count, localTime, rangeText } from './format.ts';

// Hits over time above the results, stacked by level (ERROR at the bottom, where its height is read
// against the axis), drawn by uPlot on a canvas. Drag over it to zoom into that range; a click zooms
// into one bucket, as Kibana's does.

/** Bottom to top. */
const STACK: readonly Level[] = ['ERROR', 'WARN', 'INFO', 'DEBUG'];

export class HistogramView {
  private plot?: uPlot;
  private answer?: HistogramAnswer;
  private downX = -1;

  constructor(
    private readonly box: HTMLElement,
    private readonly readout: HTMLElement,
    private readonly onZoom: (fromMs: number, toMs: number) => void,
  ) {
    new ResizeObserver(() => this.plot?.setSize(this.size())).observe(box);
  }

  /** How many buckets fit the width it has: bars about 12 px wide, 20 to 120 of them. */
  bucketsWanted(): number {
    return Math.max(20, Math.min(120, Math.floor(this.box.clientWidth / 12)));
  }

  show(answer: HistogramAnswer): void {
    this.answer = answer;
    const x = answer.buckets.map((b) => Date.parse(b.start) / 1000);
    // Cumulative from the bottom level up; each series is drawn over the ones before, tallest first.
    const cumulative = STACK.map(() => new Array<number>(x.length).fill(0));
    answer.buckets.forEach((b, i) => {
      let sum = 0;
      STACK.forEach((level, k) => {
        sum += b.counts[level] ?? 0;
        cumulative[k]![i] = sum;
      });
    });
    const data: uPlot.AlignedData = [x, ...[...cumulative].reverse()];
    this.plot?.destroy();
    this.plot = new uPlot(this.options(answer), data, this.box);
    this.plot.over.addEventListener('mousedown', (e) => (this.downX = e.clientX));
    this.plot.over.addEventListener('click', (e) => this.clickBucket(e));
    this.showReadout(null);
  }

  clear(): void {
    this.plot?.destroy();
    this.plot = undefined;
    this.answer = undefined;
    replace(this.readout);
  }

  private size() {
    return { width: Math.max(200, this.box.clientWidth), height: this.box.clientHeight || 110 };
  }

  private options(answer: HistogramAnswer): uPlot.Options {
    const css = getComputedStyle(document.documentElement);
    const color = (name: string) => css.getPropertyValue(name).trim();
    const fromSec = Date.parse(answer.from) / 1000;
    const toSec = Date.parse(answer.to) / 1000;
    const maxTotal = Math.max(1, ...answer.buckets.map((b) => b.total));
    const axis: uPlot.Axis = { stroke: color('--muted'), grid: { stroke: color('--grid'), width: 1 }, ticks: { show: false }, font: '11px system-ui, sans-serif' };
    const bars = uPlot.paths.bars!({ align: 1, size: [0.86, Infinity], gap: 1 });
    return {
      ...this.size(),
      legend: { show: false },
      padding: [8, 14, 0, 0],
      cursor: { drag: { x: true, y: false, setScale: false }, points: { show: false }, y: false },
      select: { show: true, left: 0, top: 0, width: 0, height: 0 },
      scales: { x: { time: true, range: [fromSec, toSec] }, y: { range: [0, niceCeil(maxTotal)] } },
      axes: [
        { ...axis, space: 80 },
        { ...axis, size: 40, space: 20, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7], values: (_u, ticks) => ticks.map(compact) },
      ],
      series: [
        {},
        ...[...STACK].reverse().map((level) => ({ label: level, paths: bars, fill: color(`--${level.toLowerCase()}`), stroke: color(`--${level.toLowerCase()}`), width: 0, points: { show: false } })),
      ],
      hooks: {
        setSelect: [(u) => this.selected(u)],
        setCursor: [(u) => this.showReadout(u.cursor.idx ?? null)],
      },
    };
  }

  private selected(u: uPlot): void {
    const { left, width } = u.select;
    if (width < 3) return;
    const fromMs = Math.floor(u.posToVal(left, 'x')) * 1000;
    const toMs = Math.ceil(u.posToVal(left + width, 'x')) * 1000;
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    this.onZoom(fromMs, Math.max(toMs, fromMs + 1000));
  }

  private clickBucket(e: MouseEvent): void {
    if (Math.abs(e.clientX - this.downX) > 3 || !this.answer || !this.plot) return;
    const i = this.plot.cursor.idx;
    const bucket = i === null || i === undefined ? undefined : this.answer.buckets[i];
    if (!bucket || bucket.total === 0) return;
    const start = Date.parse(bucket.start);
    this.onZoom(start, Math.min(start + this.answer.interval_ms, Date.parse(this.answer.to)));
  }

  /** One line above the chart: the bucket under the pointer, or the range and its total. */
  private showReadout(i: number | null): void {
    const a = this.answer;
    if (!a) return;
    const b = i === null ? undefined : a.buckets[i];
    if (!b) {
      replace(this.readout, `${count(a.total)} events`, muted(` · ${rangeText(Date.parse(a.from), Date.parse(a.to))}`));
      return;
    }
    const parts = LEVELS.filter((l) => b.counts[l]).map((l) => levelCount(l, b.counts[l]));
    replace(this.readout, `${localTime(Date.parse(b.start))}: ${count(b.total)}`, ...parts);
  }
}

/** The next of 1, 2, 5, 10, 20, 50, … at or above n: the top of the y axis, labelled. */
function niceCeil(n: number): number {
  const step = 10 ** Math.floor(Math.log10(n));
  return [1, 2, 5, 10].map((m) => m * step).find((v) => v >= n)!;
}

function compact(n: number): string {
  if (n >= 1_000_000) return `${+(n / 1_000_000).toFixed(1)}M`;
  if (n >= 10_000) return `${Math.round(n / 1000)}k`;
  return String(n);
}

function muted(text: string): HTMLElement {
  const s = document.createElement('span');
  s.className = 'muted';
  s.textContent = text;
  return s;
}

function levelCount(level: Level, n: number): HTMLElement {
  const s = document.createElement('span');
  s.className = `readout-level lvl-${level.toLowerCase()}`;
  s.textContent = `${level} ${count(n)}`;
  return s;
}
