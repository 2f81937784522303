// What bench/pipeline.bench.ts prints: per stage a table of figures, each beside the raw ceiling
// measured in the same run and their ratio, the target, and how busy the machine was meanwhile.
import { describeLoad, type LoadWindow } from './proc.ts';

export interface Row {
  what: string;
  figure: string;
  ceiling?: string;
  ratio?: number;
  target?: string;
  note?: string;
}

export interface Section {
  title: string;
  rows: Row[];
  notes: string[];
  load?: { label: string; window: LoadWindow }[];
}

export const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a';

export const rate = (n: number, unit = 'events/s'): string => `${fmt(n)} ${unit}`;

export class Report {
  readonly sections: Section[] = [];

  section(title: string): Section {
    const s: Section = { title, rows: [], notes: [], load: [] };
    this.sections.push(s);
    return s;
  }

  print(s: Section, out: (line: string) => void = console.log): void {
    out('');
    out(`== ${s.title}`);
    const head = ['', 'LogFlow', 'raw ceiling (same run)', 'ratio', 'target'];
    const cells = s.rows.map((r) => [r.what, r.figure, r.ceiling ?? '', r.ratio === undefined ? '' : fmt(r.ratio, 2), r.target ?? '']);
    const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
    const line = (c: string[]) => out(`  ${c.map((x, i) => x.padEnd(widths[i]!)).join('  ').trimEnd()}`);
    line(head);
    s.rows.forEach((r, i) => {
      line(cells[i]!);
      if (r.note) out(`      ${r.note}`);
    });
    for (const n of s.notes) out(`  - ${n}`);
    for (const l of s.load ?? []) out(`  - ${l.label}: ${describeLoad(l.window)}`);
  }

  toJSON(): unknown {
    return { at: new Date().toISOString(), sections: this.sections };
  }
}

/** "MET"/"MISSED" against a target, for a figure that has one. */
export function verdict(ok: boolean): string {
  return ok ? 'met' : 'missed';
}
