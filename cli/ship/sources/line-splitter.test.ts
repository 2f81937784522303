import { describe, expect, it } from 'vitest';
import { LineSplitter } from './line-splitter.ts';

function collect(chunks: (string | Buffer)[], startOffset = 0, flush = false) {
  const s = new LineSplitter(startOffset);
  const out: [string, number, number][] = [];
  for (const c of chunks) s.feed(Buffer.isBuffer(c) ? c : Buffer.from(c), (t, a, b) => out.push([t, a, b]));
  if (flush) s.flushPartial((t, a, b) => out.push([t, a, b]));
  return { out, pending: s.pendingBytes };
}

describe('when bytes are cut into lines', () => {
  it('gives each line its exact byte span, multibyte characters and CRLF included', () => {
    expect(collect(['héllo\nworld\r\n\nx']).out).toEqual([
      ['héllo', 0, 7],
      ['world', 7, 14],
      ['', 14, 15],
    ]);
  });

  it('joins a line split across chunks, even inside a multibyte character', () => {
    const bytes = Buffer.from('aé\nb');
    const { out, pending } = collect([bytes.subarray(0, 2), bytes.subarray(2)], 100);
    expect(out).toEqual([['aé', 100, 104]]);
    expect(pending).toBe(1);
  });

  it('hands out a held partial line only when asked', () => {
    expect(collect(['one\ntwo'], 0, true).out).toEqual([
      ['one', 0, 4],
      ['two', 4, 7],
    ]);
  });
});
