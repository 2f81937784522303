import { describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/logger.ts';
import type { OutgoingBatch } from './delivery/delivery.ts';
import { Shipper } from './shipper.ts';

// The shipper's batching and the way acknowledgements go back to each source: a source's progress
// moves only over batches the server (or the spool) holds, in source order, never past a gap.

function shipper(batchSize = 2) {
  const batches: OutgoingBatch[] = [];
  const s = new Shipper({
    delivery: { enqueue: async (b) => void batches.push(b) },
    log: createLogger('silent'),
    context: { service: 'api', fields: {} },
    format: 'auto',
    multiline: { maxBytes: 1 << 20, idleMs: 1000 },
    batchSize,
    batchBytes: 1 << 20,
    flushIntervalMs: 1000,
  });
  return { s, batches };
}

/**
 * A lane whose progress is recorded; each line spans 10 bytes from `from`. A line waits in the
 * multiline joiner for what may follow it: the tick a second later makes it an event.
 */
function source(s: Shipper, key: string, from = 0) {
  const committed: number[] = [];
  const lane = s.lane(key, from, { committed: (o) => committed.push(o) });
  let at = from;
  const line = (text: string) => {
    lane.push(`2026-11-01T00:00:00.000Z INFO ${text}`, at, at + 10, 0);
    s.tick(2000);
    at += 10;
  };
  return { lane, committed, line };
}

const ids = (b: OutgoingBatch) => b.ndjson.toString().trim().split('\n').map((l) => JSON.parse(l).event_id);

describe('when lines come from several sources', () => {
  it('does gather their events into batches, each event id its source key and offset', async () => {
    const { s, batches } = shipper();
    const a = source(s, 'fa');
    const b = source(s, 'fb', 100);
    a.line('a0');
    b.line('b0');
    a.line('a1');
    await s.finish();
    expect(batches.map(ids)).toEqual([['fa:0', 'fb:100'], ['fa:10']]);
    expect(s.stats).toEqual({ lines: 3, events: 3 });
  });

  it('does move a source’s progress only once every batch before is secured, in order', async () => {
    const { s, batches } = shipper();
    const a = source(s, 'fa');
    for (let i = 0; i < 6; i++) a.line(`a${i}`);
    await s.settle();
    expect(batches).toHaveLength(3);
    batches[1]!.receipt!.secured();
    batches[2]!.receipt!.secured();
    expect(a.committed).toEqual([]); // the first batch is not safe yet
    batches[0]!.receipt!.secured();
    expect(a.committed).toEqual([60]);
  });

  it('does tell each source of a batch how far that batch reaches in it', async () => {
    const { s, batches } = shipper(3);
    const a = source(s, 'fa');
    const b = source(s, 'fb', 500);
    a.line('a0');
    b.line('b0');
    b.line('b1');
    await s.settle();
    batches[0]!.receipt!.secured();
    expect(a.committed).toEqual([10]);
    expect(b.committed).toEqual([520]);
  });

  it('does count the lines of sources already closed', async () => {
    const { s } = shipper();
    const a = source(s, 'fa');
    a.line('a0');
    a.lane.close();
    source(s, 'fb').line('b0');
    expect(s.stats.lines).toBe(2);
  });
});

describe('when lines make no event', () => {
  it('does move the progress over blank lines once nothing before them waits', async () => {
    const { s, batches } = shipper(1);
    const a = source(s, 'fa');
    a.line('a0');
    a.lane.push('', 10, 11, 0);
    s.tick(5000);
    await s.settle();
    expect(a.committed).toEqual([]); // the event before it is not safe yet
    batches[0]!.receipt!.secured();
    s.tick(5000); // the blank line ends nothing that waits: it is safe as well
    expect(a.committed).toEqual([10, 11]);
  });
});
