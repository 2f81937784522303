import { describe, expect, it } from 'vitest';
import { EventEncoder, parseFields, type ShipContext } from './event-encoder.ts';
import { parseLine, type ParsedLine } from '../../../shared/parse/line.ts';

const ctx: ShipContext = { service: 'api', host: 'box-1', fields: {} };
const encode = (parsed: ParsedLine, c = ctx, cutFromLines?: number) => JSON.parse(new EventEncoder(c).encode(parsed, EventEncoder.idPrefix('f0a1b2c3d4e5f'), 4096, cutFromLines)) as Record<string, unknown>;

describe('when a parsed line is written as a wire event', () => {
  it('does write the fields the server reads, in JSON a parser reads back exactly', () => {
    const parsed = parseLine('{"level":50,"time":1793527200000,"msg":"quote \\" backslash \\\\ tab \\t nul \\u0000 é 😀 \\u2028","trace_id":"t-1","reqId":"r-1","hostname":"web-2","env":"prod","user":{"id":42}}');
    expect(encode(parsed)).toEqual({
      event_id: 'f0a1b2c3d4e5f:4096',
      timestamp: '2026-11-01T10:00:00.000Z',
      service: 'api',
      level: 'ERROR',
      message: 'quote " backslash \\ tab \t nul \u0000 é 😀 \u2028',
      trace_id: 't-1',
      request_id: 'r-1',
      host: 'web-2',
      env: 'prod',
      metadata: { user: { id: 42 } },
    });
  });

  it('does give a line without a time the time it is read, and the host of the flags', () => {
    const before = Date.now();
    const event = encode(parseLine('plain words'));
    expect(event).toMatchObject({ service: 'api', level: 'INFO', message: 'plain words', host: 'box-1' });
    expect(Date.parse(event.timestamp as string)).toBeGreaterThanOrEqual(before - 1);
    expect(event).not.toHaveProperty('metadata');
    expect(event).not.toHaveProperty('env');
  });

  it('does put --env over the line’s env, --field under the line’s keys, and a logger name the line gives', () => {
    const c: ShipContext = { service: 'api', env: 'staging', fields: { team: 'pay', user: 'flag' }, host: undefined };
    const event = encode(parseLine('{"msg":"x","env":"prod","name":"billing","user":"line"}'), c);
    expect(event).toMatchObject({ env: 'staging', metadata: { team: 'pay', user: 'line', logger: 'billing' } });
    expect(event).not.toHaveProperty('host');
  });

  it('does mark an event cut at --max-event-bytes with its original line count', () => {
    expect(encode(parseLine('long'), ctx, 12).metadata).toEqual({ truncated: true, original_lines: 12 });
  });

  it('does write a --field named __proto__ as data', () => {
    const event = encode(parseLine('x'), { ...ctx, fields: parseFields(['__proto__=yes', 'team=pay']) });
    expect(Object.getOwnPropertyDescriptor(event.metadata, '__proto__')?.value).toBe('yes');
    expect(event.metadata).toMatchObject({ team: 'pay' });
  });

  it('does keep a __proto__ key of the line as data', () => {
    const event = encode(parseLine('{"msg":"x","__proto__":{"polluted":1}}'));
    expect(Object.getOwnPropertyDescriptor(event.metadata, '__proto__')?.value).toEqual({ polluted: 1 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('does quote a source key that is not plain letters and digits', () => {
    const line = new EventEncoder(ctx).encode(parseLine('x'), EventEncoder.idPrefix('a"b\\c'), 7);
    expect(JSON.parse(line).event_id).toBe('a"b\\c:7');
  });
});
