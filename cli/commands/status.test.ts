import { describe, expect, it } from 'vitest';
import type { SinkStatus, Status } from '../../server/metrics/status.ts';
import { formatStatus } from './status.ts';

const sink = (over: Partial<SinkStatus>): SinkStatus => ({ sink: 'postgres', lag: 0, pending: 0, oldestUnwrittenSeconds: null, writtenPerSecond: 0, written: 0, workers: 1, deadLetters: 0, store: 'ok', ...over });

describe('when status is printed for a person', () => {
  const status: Status = {
    at: '2026-12-01T12:00:00.000Z',
    namespace: 'logflow',
    backlog: 12_345,
    workers: [{ consumer: 'web-1-42', at: 0, sinks: {} }],
    sinks: [
      sink({ sink: 'opensearch', lag: 1000, pending: 200, writtenPerSecond: 5731.4, oldestUnwrittenSeconds: 2.5 }),
      sink({ sink: 'postgres', writtenPerSecond: 12.25, deadLetters: 3 }),
      sink({ sink: 'file', lag: null, workers: 0, store: 'down', storeDetail: 'EACCES: permission denied', oldestUnwrittenSeconds: 3 * 3600 + 7 * 60 }),
    ],
  };
  const text = formatStatus(status);

  it('does put each sink on one row, numbers right-aligned under their heading', () => {
    const lines = text.split('\n');
    expect(lines[0]).toBe('namespace logflow: 12,345 entries in the stream; workers: web-1-42');
    expect(lines[2]).toMatch(/^SINK\s+STORE\s+LAG\s+PENDING\s+WRITTEN\/S\s+DEAD LETTERS\s+OLDEST UNWRITTEN$/);
    expect(lines[3]).toMatch(/^opensearch\s+ok\s+1,000\s+200\s+5,731\s+0\s+2s$/);
    expect(lines[4]).toMatch(/^postgres\s+ok\s+0\s+0\s+12\.3\s+3\s+-$/);
    expect(lines[5]).toMatch(/^file\s+DOWN\s+\?\s+0\s+no worker\s+0\s+3h 7m$/);
    const end = lines[2]!.length;
    for (const l of lines.slice(3, 6)) expect(l.length).toBe(end);
  });

  it('does say why a store is down under the table', () => {
    expect(text).toMatch(/\n\n {2}file: EACCES: permission denied\n$/);
  });
});
