import { describe, expect, it } from 'vitest';
import { comparePositions, compareStreamIds, entryOf, eventRef, indexOf, isPosition, minStreamId, successor } from './stream-id.ts';

describe('when comparing stream IDs', () => {
  it('compares them as numbers, not text', () => {
    expect(compareStreamIds('9-0', '10-0')).toBe(-1);
    expect(compareStreamIds('10-2', '10-10')).toBe(-1);
    expect(compareStreamIds('10-1', '10-1')).toBe(0);
    expect(minStreamId(['1700000000000-5', '999-0', '1700000000000-0'])).toBe('999-0');
    expect(minStreamId([])).toBeUndefined();
    expect(successor('10-9')).toBe('10-10');
  });
});

describe('when naming the events of a batch entry', () => {
  it('gives each its own ref, the last the entry ID itself, so the entry ID reads on after the whole batch', () => {
    const refs = [0, 1, 2].map((i) => eventRef('10-1', i, 3));
    expect(refs).toEqual(['10-1-0', '10-1-1', '10-1']);
    expect(refs.map(entryOf)).toEqual(['10-1', '10-1', '10-1']);
    expect(refs.map(indexOf)).toEqual([0, 1, undefined]);
    expect(eventRef('10-1', 0, 1)).toBe('10-1');
  });

  it('orders positions by entry, then by place in it, as numbers', () => {
    const sorted = ['9-0', '10-0-2', '10-0-10', '10-0', '10-1-0', '10-1'];
    expect([...sorted].reverse().sort(comparePositions)).toEqual(sorted);
    expect(comparePositions('10-0', '10-0')).toBe(0);
  });

  it('tells a position from any other text', () => {
    expect(['1-0', '1700000000000-3', '1700000000000-3-12'].every(isPosition)).toBe(true);
    expect(['', '1', '1-0-', 'a-0', '1-0-1-2', '$'].some(isPosition)).toBe(false);
  });
});
