import { describe, expect, it } from 'vitest';
import type { DecodedEntry } from './entry.ts';
import { OpenEntries } from './open-entries.ts';
import type { Delivery } from './queue.ts';
import { eventRef } from './stream-id.ts';

const entry = (id: string, n: number): DecodedEntry => ({ id, deliveries: Array.from({ length: n }, (_, i) => ({ ref: eventRef(id, i, n), problem: 'p', raw: String(i) })) });
const raws = (ds: Delivery[]) => ds.map((d) => ('raw' in d ? d.raw : ''));

describe('when a consumer settles the events of batch entries', () => {
  it('completes an entry only once all its events are settled, in any order and pieces', () => {
    const open = new OpenEntries();
    const [a0, a1, a2] = open.hold(entry('1-0', 3));
    const [b0] = open.hold(entry('2-0', 1));
    expect(open.settle([a2!], [])).toEqual({ entries: [], refusals: [] });
    expect(open.settle([b0!, a0!], [])).toEqual({ entries: ['2-0'], refusals: [] });
    const refusal = { delivery: a1!, reason: 'no' };
    expect(open.settle([], [refusal])).toEqual({ entries: ['1-0'], refusals: [refusal] });
  });

  it('keeps an entry whole until forgotten, so a failed acknowledgement is found again, its refusals once', () => {
    const open = new OpenEntries();
    const [a0, a1] = open.hold(entry('1-0', 2));
    const refusal = { delivery: a0!, reason: 'no' };
    expect(open.settle([a1!], [refusal])).toEqual({ entries: ['1-0'], refusals: [refusal] });
    expect(open.settle([a1!], [refusal])).toEqual({ entries: ['1-0'], refusals: [refusal] });
    open.forget(['1-0']);
    // Forgotten: a settle of it again is taken as a one-event entry of its own.
    expect(open.settle([a1!], []).entries).toEqual(['1-0']);
  });

  it('hands out again only what is not settled when an entry is read again', () => {
    const open = new OpenEntries();
    const [, a1] = open.hold(entry('1-0', 3));
    open.settle([a1!], []);
    expect(raws(open.hold(entry('1-0', 3)))).toEqual(['0', '2']);
  });
});
