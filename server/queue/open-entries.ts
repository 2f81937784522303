import type { DecodedEntry } from './entry.ts';
import type { Delivery, Refusal } from './queue.ts';
import { entryOf, indexOf } from './stream-id.ts';

interface OpenEntry {
  count: number;
  settled: Set<number>;
  refused: Map<number, Refusal>;
}

/**
 * The entries one consumer holds that are not settled whole yet. A stream entry holds a batch, while
 * a consumer settles events, any subset in any order (several batches in flight, split batches): an
 * entry is acknowledged only once all its events are settled, and its dead letters go in the same
 * MULTI as that acknowledgement, so a letter is never kept twice. Kept in memory: a consumer that
 * restarts gets a half-settled entry again whole, which every store takes again by event_id.
 */
export class OpenEntries {
  private readonly open = new Map<string, OpenEntry>();

  /** Remembers an entry read from the stream; returns its events not settled yet. */
  hold(entry: DecodedEntry): Delivery[] {
    let o = this.open.get(entry.id);
    if (!o) {
      o = { count: entry.deliveries.length, settled: new Set(), refused: new Map() };
      this.open.set(entry.id, o);
      return entry.deliveries;
    }
    const { settled } = o;
    return entry.deliveries.filter((d, i) => !settled.has(i));
  }

  /**
   * Marks these settled and says which entries are now settled whole, with all their refusals. They
   * stay here until forget(), so a settle that failed in Redis finds them whole again when retried.
   */
  settle(done: readonly Delivery[], refused: readonly Refusal[]): { entries: string[]; refusals: Refusal[] } {
    const touched = new Set<string>();
    const loose: Refusal[] = [];
    const mark = (d: Delivery, r?: Refusal) => {
      const id = entryOf(d.ref);
      const o = this.open.get(id);
      // Not read through this consumer (a caller's own delivery): settled alone, as one event.
      if (!o) {
        touched.add(id);
        if (r) loose.push(r);
        return;
      }
      const index = indexOf(d.ref) ?? o.count - 1;
      o.settled.add(index);
      if (r) o.refused.set(index, r);
      touched.add(id);
    };
    for (const d of done) mark(d);
    for (const r of refused) mark(r.delivery, r);
    const entries: string[] = [];
    const refusals = loose;
    for (const id of touched) {
      const o = this.open.get(id);
      if (o && o.settled.size < o.count) continue;
      entries.push(id);
      if (o) refusals.push(...o.refused.values());
    }
    return { entries, refusals };
  }

  /** Drops entries once acknowledged. */
  forget(entries: readonly string[]): void {
    for (const id of entries) this.open.delete(id);
  }
}
