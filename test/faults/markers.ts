// Unique markers counted wherever lines end up, as Vector's correctness harness counts them: what
// arrived, what is missing, what is there twice.

export function markerOf(i: number): string {
  return `m${String(i).padStart(8, '0')}`;
}

const MARKER = /\bm\d{8}\b/g;

export function markersIn(text: string): string[] {
  return text.match(MARKER) ?? [];
}

export interface Tally {
  /** Copies found, duplicates included. */
  stored: number;
  distinct: number;
  lost: number;
  duplicated: number;
  /** A few of the missing markers, to look for. */
  missing: string[];
}

/** Counts the markers seen against markerOf(0..expected-1); markers outside that range count as stored only. */
export function tally(expected: number, seen: Iterable<string>): Tally {
  const counts = new Map<string, number>();
  let stored = 0;
  for (const m of seen) {
    counts.set(m, (counts.get(m) ?? 0) + 1);
    stored++;
  }
  const missing: string[] = [];
  let lost = 0;
  for (let i = 0; i < expected; i++) {
    if (counts.has(markerOf(i))) continue;
    lost++;
    if (missing.length < 10) missing.push(markerOf(i));
  }
  return { stored, distinct: counts.size, lost, duplicated: stored - counts.size, missing };
}
