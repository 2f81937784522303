import { describe, expect, it } from 'vitest';
import { compareStreamIds, minStreamId } from './stream-id.ts';

describe('when comparing stream IDs', () => {
  it('compares them as numbers, not text', () => {
    expect(compareStreamIds('9-0', '10-0')).toBe(-1);
    expect(compareStreamIds('10-2', '10-10')).toBe(-1);
    expect(compareStreamIds('10-1', '10-1')).toBe(0);
    expect(minStreamId(['1700000000000-5', '999-0', '1700000000000-0'])).toBe('999-0');
    expect(minStreamId([])).toBeUndefined();
  });
});
