import { expect } from 'vitest';
import type { HostileResult } from './harness.ts';
import { STORES } from './stores.ts';

/** What every hostile run must show: no rule broken, the servers up, and each store holding what was taken, once. */
export function expectHostileRunClean(r: HostileResult): void {
  expect(r.figures.violations, r.report).toEqual([]);
  expect(r.serversUp, r.report).toBe(true);
  expect(r.deadLetters, r.report).toBe(0);
  for (const s of STORES) {
    const v = r.stores[s];
    expect({ store: s, lost: v.lost, doubled: v.duplicated, misplaced: v.misplaced, refusedButStored: v.unexpected }, r.report).toEqual({ store: s, lost: [], doubled: [], misplaced: [], refusedButStored: [] });
  }
  expect(r.stores.maybeSplit, r.report).toEqual([]);
  for (const s of r.search) expect(s.wrong, `${s.backend}\n${r.report}`).toEqual([]);
}
