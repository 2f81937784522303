// The figures of a hostile run, printed at its end (and kept in the README), as Vector and Filebeat
// print theirs: requests per class, answers by status, events lost or doubled per store.
import type { HostileResult } from './harness.ts';
import type { Figures } from './run.ts';
import { STORES } from './stores.ts';

const n = (x: number) => x.toLocaleString('en-US');

function answers(m: Map<string, number>): string {
  return [...m].sort(([a], [b]) => a.localeCompare(b)).map(([status, count]) => `${status} ×${n(count)}`).join(', ');
}

export function formatFigures(r: Omit<HostileResult, 'report'> & { seconds: number; sentSeconds: number }): string {
  const f: Figures = r.figures;
  const tried = [...f.byClass.values()].reduce((a, c) => a + c.tried, 0);
  const lines: string[] = [];
  lines.push(`hostile input, seed ${f.seed}: ${n(tried)} hostile requests in ${f.byClass.size} classes and ${n(f.goodRequests)} good ones of another project beside them, sent in ${Math.round(r.sentSeconds)} s (slowest answer ${n(f.slowestMs)} ms); ${Math.round(r.seconds)} s in all`);
  lines.push('');
  const width = Math.max(...[...f.byClass.keys()].map((k) => k.length), 5);
  lines.push(`${'class'.padEnd(width)}  ${'tried'.padStart(6)}  answers`);
  for (const [name, c] of [...f.byClass].sort(([a], [b]) => a.localeCompare(b))) lines.push(`${name.padEnd(width)}  ${n(c.tried).padStart(6)}  ${answers(c.answers)}`);
  lines.push('');
  lines.push(`answers, all hostile requests: ${answers(f.answers)}`);
  const holds = [...f.holds.values()];
  const late = holds.reduce((a, h) => a + h.late, 0);
  lines.push(`raw connections: ${n(holds.reduce((a, h) => a + h.tried, 0))}, held past the request timeout + 5 s: ${n(late)}${late ? ` (longest ${n(Math.max(...holds.map((h) => h.longestMs)))} ms)` : ''}`);
  const other = [...f.ledger.accepted.values()].filter((p) => p === 'other').length;
  lines.push(`events: ${n(f.ledger.accepted.size)} taken (${n(other)} of them the other project's good ones), ${n(f.ledger.refused.size)} refused, ${n(f.ledger.maybe.size)} sent in broken requests (stored everywhere or nowhere)`);
  lines.push('');
  lines.push(`${'store'.padEnd(11)} ${'expected'.padStart(9)} ${'found'.padStart(9)} ${'lost'.padStart(6)} ${'doubled'.padStart(8)} ${'misplaced'.padStart(10)} ${'refused but stored'.padStart(19)} ${'copies of one event'.padStart(20)}`);
  for (const s of STORES) {
    const v = r.stores[s];
    lines.push(`${(s === 'files' ? 'daily files' : s === 'postgres' ? 'PostgreSQL' : 'OpenSearch').padEnd(11)} ${n(v.expected).padStart(9)} ${n(v.found).padStart(9)} ${n(v.lost.length).padStart(6)} ${n(v.duplicated.length).padStart(8)} ${n(v.misplaced.length).padStart(10)} ${n(v.unexpected.length).padStart(19)} ${n(v.copies).padStart(20)}`);
  }
  lines.push(`events of broken requests in some stores only: ${n(r.stores.maybeSplit.length)}; dead letters: ${n(r.deadLetters)}`);
  for (const s of r.search) lines.push(`GET /search from ${s.backend}: ${n(s.sampled - s.wrong.length)} of ${n(s.sampled)} sampled events found exactly once`);
  lines.push(`servers up and healthy at the end: ${r.serversUp ? 'yes' : 'NO'}`);
  lines.push(`violations: ${n(f.violationCount)}${f.violations.length ? '\n  ' + f.violations.join('\n  ') : ''}`);
  for (const s of STORES) {
    const v = r.stores[s];
    for (const [what, list] of [['lost', v.lost], ['doubled', v.duplicated], ['misplaced', v.misplaced], ['refused but stored', v.unexpected]] as const) {
      if (!list.length) continue;
      lines.push(`${s} ${what} (${list.length}):`);
      for (const m of list.slice(0, 5)) lines.push(`  ${m}: ${f.ledger.origin.get(m) ?? 'sent in no request the harness knows'}`);
    }
  }
  return lines.join('\n');
}
