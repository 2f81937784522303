import { describe, expect, it } from 'vitest';
import { enrichEvent, validateEvent } from './event.ts';

const good = { timestamp: '2026-11-01T10:00:00+01:00', service: 'api', level: 'info', message: 'ok' };

describe('when an event arrives', () => {
  it('normalises level names and aliases, and the time to UTC milliseconds', () => {
    for (const [given, want] of [['info', 'INFO'], ['Warning', 'WARN'], ['fatal', 'ERROR'], ['trace', 'DEBUG'], ['CRITICAL', 'ERROR']]) {
      const v = validateEvent({ ...good, level: given });
      expect(v.ok && v.event.level).toBe(want);
    }
    const v = validateEvent(good);
    expect(v.ok && v.event.timestamp).toBe('2026-11-01T09:00:00.000Z');
  });

  it('rejects with a reason a person understands, naming every wrong field', () => {
    const v = validateEvent({ timestamp: 'soon', service: '', level: 'LOUD' });
    expect(v.ok).toBe(false);
    if (!v.ok) {
      expect(v.reason).toMatch(/timestamp "soon" is not an ISO 8601 time/);
      expect(v.reason).toMatch(/service must not be empty/);
      expect(v.reason).toMatch(/level "LOUD" is not one of DEBUG, INFO, WARN, ERROR/);
      expect(v.reason).toMatch(/message is required/);
    }
    expect(validateEvent([1, 2])).toEqual({ ok: false, reason: 'an event must be a JSON object' });
    expect(validateEvent({ ...good, metadata: 'x' })).toMatchObject({ ok: false, reason: expect.stringMatching(/metadata must be a JSON object/) });
  });

  it('keeps unknown fields under metadata instead of refusing them', () => {
    const v = validateEvent({ ...good, user: 7, metadata: { a: 1 } });
    expect(v.ok && v.event.metadata).toEqual({ a: 1, user: 7 });
  });

  it('keeps the client’s event_id and assigns one only when none was sent', () => {
    const a = validateEvent({ ...good, event_id: 'mine-1' });
    const b = validateEvent(good);
    if (!a.ok || !b.ok) throw new Error('expected valid events');
    expect(enrichEvent(a.event, 3, 'now', () => 'new').event_id).toBe('mine-1');
    expect(enrichEvent(b.event, 3, 'now', () => 'new')).toMatchObject({ event_id: 'new', project_id: 3, ingest_ts: 'now' });
  });
});

describe('when a key names a member of Object.prototype', () => {
  it('keeps it as data, in metadata and as an unknown field, and changes no prototype', () => {
    const v = validateEvent(JSON.parse('{"timestamp":"2026-11-01T10:00:00Z","service":"api","level":"info","message":"ok","metadata":{"__proto__":{"polluted":1},"a":1},"constructor":"c","toString":"t"}'));
    if (!v.ok) throw new Error(v.reason);
    const metadata = v.event.metadata!;
    expect(Object.keys(metadata)).toEqual(['__proto__', 'a', 'constructor', 'toString']);
    expect(Object.getOwnPropertyDescriptor(metadata, '__proto__')?.value).toEqual({ polluted: 1 });
    expect(Object.getPrototypeOf(metadata)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(metadata))).toMatchObject({ constructor: 'c', toString: 't' });
    const top = validateEvent(JSON.parse('{"timestamp":"2026-11-01T10:00:00Z","service":"api","level":"info","message":"ok","__proto__":"x"}'));
    expect(top.ok && Object.getOwnPropertyDescriptor(top.event.metadata, '__proto__')?.value).toBe('x');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('when a level names a member of Object.prototype', () => {
  it('is refused like any unknown level', () => {
    for (const level of ['constructor', '__proto__', 'toString']) expect(validateEvent({ ...good, level }).ok).toBe(false);
  });
});

describe('when a timestamp is far in the future', () => {
  it('is refused with what to check, while a few hours of clock skew pass', () => {
    const v = validateEvent({ ...good, timestamp: Date.now() * 1000 });
    expect(v).toMatchObject({ ok: false, reason: expect.stringMatching(/more than a day in the future.*milliseconds expected/) });
    expect(validateEvent({ ...good, timestamp: new Date(Date.now() + 3 * 3_600_000).toISOString() }).ok).toBe(true);
  });
});
