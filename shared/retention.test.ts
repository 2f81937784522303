import { describe, expect, it } from 'vitest';
import { earliestCutoff, parseRetention, projectCutoff, retentionCutoff } from './retention.ts';

describe('when reading a retention', () => {
  it('does take whole days and weeks', () => {
    expect(parseRetention('7d')).toBe(7);
    expect(parseRetention(' 90d ')).toBe(90);
    expect(parseRetention('2w')).toBe(14);
  });

  it('does refuse what is not whole days, with what to type', () => {
    for (const bad of ['36h', '0d', '7', '1.5d', '-3d', '36501d', 'forever']) {
      expect(() => parseRetention(bad)).toThrow(/whole days or weeks such as 7d/);
    }
  });
});

describe('when finding what is past retention', () => {
  const now = Date.parse('2026-12-01T10:18:00Z');

  it('does keep today and the whole days before it', () => {
    expect(new Date(retentionCutoff(now, 1)).toISOString()).toBe('2026-11-30T00:00:00.000Z');
    expect(new Date(retentionCutoff(now, 30)).toISOString()).toBe('2026-11-01T00:00:00.000Z');
  });

  it('does apply a project its own retention, and the longest to what every project shares', () => {
    const policy = { defaultDays: 30, projectDays: new Map([[7, 7], [9, 90]]) };
    expect(new Date(projectCutoff(policy, 7, now)).toISOString()).toBe('2026-11-24T00:00:00.000Z');
    expect(new Date(projectCutoff(policy, 3, now)).toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(new Date(earliestCutoff(policy, now)).toISOString()).toBe('2026-09-02T00:00:00.000Z');
    expect(earliestCutoff({ defaultDays: 30, projectDays: new Map([[7, 7]]) }, now)).toBe(retentionCutoff(now, 30));
  });
});
