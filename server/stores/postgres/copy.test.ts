import { describe, expect, it } from 'vitest';
import { copyField, copyText } from './copy.ts';

describe('when rows are written as COPY text', () => {
  it('does escape what would end a column or a row, and write NULL as \\N', () => {
    expect(copyField('a\tb\nc\rd\\e')).toBe('a\\tb\\nc\\rd\\\\e');
    expect(copyField('\\N')).toBe('\\\\N');
    expect(copyField(null)).toBe('\\N');
    expect(copyField(undefined)).toBe('\\N');
    expect(copyField(42)).toBe('42');
    expect(copyField('"quoted" \'s\' é')).toBe('"quoted" \'s\' é');
  });

  it('does put one row on a line, columns apart by tabs', () => {
    expect(copyText([[1, 'x\ty', null], [2, '', 'z']])).toBe('1\tx\\ty\t\\N\n2\t\tz\n');
  });
});
