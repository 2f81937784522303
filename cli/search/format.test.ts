/* eslint-disable no-control-regex -- these tests look for control characters */
import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../../shared/event.ts';
import type { HistogramAnswer } from '../../shared/http.ts';
import { escapeControl, formatEvents, formatPretty, pathValue, safeJson } from './format.ts';
import { drawHistogram } from './histogram.ts';

const e = (over: Partial<LogEvent> = {}): LogEvent => ({
  event_id: 'e1',
  project_id: 1,
  timestamp: '2026-11-01T10:00:00.000Z',
  ingest_ts: '2026-11-01T10:00:00.000Z',
  service: 'api',
  level: 'INFO',
  message: 'hello',
  ...over,
});

describe('when printing events for a person', () => {
  it('does show trace_id and request_id when the event has them', () => {
    expect(formatPretty(e({ trace_id: 't1', request_id: 'req-1' }), { colour: false })).toBe('2026-11-01T10:00:00.000Z INFO  api hello trace_id=t1 request_id=req-1');
    expect(formatPretty(e(), { colour: false })).toBe('2026-11-01T10:00:00.000Z INFO  api hello');
  });

  it('does show the stack trace of an ERROR event under it, indented', () => {
    const err = e({ level: 'ERROR', message: 'charge failed', metadata: { err: { type: 'CardError', message: 'card declined', stack: 'CardError: card declined\n    at charge (pay.js:1)' } } });
    expect(formatPretty(err, { colour: false }).split('\n')).toEqual([
      '2026-11-01T10:00:00.000Z ERROR api charge failed',
      '    CardError: card declined',
      '        at charge (pay.js:1)',
    ]);
    expect(formatPretty(e({ level: 'ERROR', message: 'x', metadata: { error: 'boom' } }), { colour: false })).toContain('\n    boom');
    expect(formatPretty(e({ level: 'INFO', metadata: { err: { stack: 'trace' } } }), { colour: false })).not.toContain('trace');
  });

  it('does add chosen fields, nested or dotted, quoted when they hold spaces', () => {
    const ev = e({ host: 'web-1', metadata: { user_id: 42, http: { status: 500 }, 'a.b': 'two words' } });
    expect(formatPretty(ev, { colour: false, fields: ['user_id', 'http.status', 'a.b', 'host', 'missing'] })).toBe('2026-11-01T10:00:00.000Z INFO  api hello user_id=42 http.status=500 a.b="two words" host=web-1');
    expect(pathValue(ev, 'http')).toEqual({ status: 500 });
  });

  it('does never write control characters or escape sequences from log data raw', () => {
    const hostile = 'a\x1b[2K\x1b[31mred\x1b]0;title\x07\r\u009b2J\u202eevil';
    const out = formatPretty(e({ service: 'x\x1b[1m', message: hostile, request_id: '\x1b[5m', metadata: { f: '\x07' } }), { colour: true, fields: ['f'] });
    const withoutOurColours = out.replace(/\x1b\[(?:0|2|3[16])m/g, '');
    expect(withoutOurColours).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]/);
    expect(out).toContain('a\\x1b[2K\\x1b[31mred\\x1b]0;title\\x07\\r\\x9b2J\\u202eevil');
    expect(escapeControl('tab\tand\nnewline stay')).toBe('tab\tand\nnewline stay');
  });

  it('does keep JSON output the same JSON, with the characters JSON.stringify leaves raw escaped', () => {
    const ev = e({ message: 'c1 \u009b and \x1b' });
    const line = formatEvents([ev], 'ndjson', { colour: false }).trim();
    expect(line).not.toMatch(/[\x1b\u009b]/);
    expect(JSON.parse(line)).toEqual(ev);
    expect(JSON.parse(safeJson([ev], 2))).toEqual([ev]);
  });
});

describe('when drawing a histogram', () => {
  const answer: HistogramAnswer = {
    from: '2026-11-01T10:00:00.000Z',
    to: '2026-11-01T10:03:00.000Z',
    interval_ms: 60_000,
    total: 14,
    buckets: [
      { start: '2026-11-01T10:00:00.000Z', total: 10, counts: { DEBUG: 0, INFO: 6, WARN: 2, ERROR: 2 } },
      { start: '2026-11-01T10:01:00.000Z', total: 0, counts: { DEBUG: 0, INFO: 0, WARN: 0, ERROR: 0 } },
      { start: '2026-11-01T10:02:00.000Z', total: 4, counts: { DEBUG: 1, INFO: 3, WARN: 0, ERROR: 0 } },
    ],
  };

  it('does draw a bar per bucket, its parts per level, scaled to the fullest', () => {
    expect(drawHistogram(answer, { colour: false, width: 10 }).split('\n')).toEqual([
      '14 events from 2026-11-01T10:00:00.000Z to 2026-11-01T10:03:00.000Z, one bar per minute',
      '2026-11-01 10:00 10 ##!!======',
      '2026-11-01 10:01  0 ',
      '2026-11-01 10:02  4 ===.',
      '# ERROR  ! WARN  = INFO  . DEBUG',
      '',
    ]);
  });

  it('does colour the levels on a terminal', () => {
    expect(drawHistogram(answer, { colour: true, width: 10 })).toContain('\x1b[31m██\x1b[0m\x1b[33m██\x1b[0m\x1b[36m██████\x1b[0m');
  });
});
