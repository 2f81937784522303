// POST /logs: hostile events, beside good ones, in one request. What each record may become is the
// server's to decide (taken, or refused with a reason); what the harness holds it to is that every
// good event beside it is taken, and that what was taken is stored once everywhere (run.ts, stores.ts).
import fc from 'fast-check';
import { eventWith, goodEvent, ndjson, nested, recentIso, uniqueNumber, withGood, type Part } from './build.ts';
import type { CaseContext, HostileClass } from './types.ts';

const TIME_FIELDS = ['timestamp', 'time', 'ts', '@timestamp', 'date'];
const LEVEL_FIELDS = ['level', 'levelname', 'severity', 'log.level', 'lvl'];

function times(ctx: CaseContext): unknown[] {
  const now = ctx.now;
  return [
    '0001-01-01T00:00:00Z', '1969-12-31T23:59:59Z', '1900-01-01', '1970-01-01T00:00:00Z', '1970-01-02T00:00:00Z', '1999-05-05', '2001-09-09T01:46:40Z',
    '9999-12-31T23:59:59Z', '2100-01-01T00:00:00Z', new Date(now + 2 * 86_400_000).toISOString(), new Date(now + 3_600_000).toISOString(),
    '2026-02-30T10:00:00Z', '2026-13-01T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T23:60:00Z', '2026-00-10', '2025-02-29T00:00:00Z', '2024-02-29T12:00:00+14:00',
    -8.64e15, 8.64e15, 0, -1, 1e300, -1e300, 1796109465.192, now, now * 1000, now * 1e6, String(now * 1e6), String(now), '1700000000000', '-5', '1e3', '',
    'yesterday', 'now', 'NaN', 'Infinity', true, null, [now], { when: 'now' }, '2026-11-01T10:00:00.123456789Z', '2026-11-01 10:00:00', '10:00', 'Mon, 02 Nov 2026 10:00:00 GMT',
  ];
}

const LEVELS: unknown[] = [30, 70, 1e9, -1, 0, 7, 3.5, '70', '0', 'LOUD', '', null, true, {}, [], 'WARNING', 'Fatal', 'emerg', 'crit', 'notice', 'trace', 'silly', '\u0000', 'é', 60.0001, Number.MAX_SAFE_INTEGER];

const TIMESTAMP_OBJECTS: unknown[] = [
  { seconds: 1793527200, nanos: 250000000 }, { seconds: 'x' }, { seconds: -1 }, { seconds: 1e20 }, { nanos: 5 }, { $date: '2026-11-01T10:00:00Z' },
  { when: 'now' }, { seconds: 1793527200, nanos: -1 }, { seconds: 1793527200, nanos: 1e12 }, { seconds: 1793527200.5 }, { seconds: null, nanos: null }, {},
];

/** Strings with what PostgreSQL, OpenSearch or a terminal choke on. */
const NASTY = ['a\u0000b', '\ud800', 'x\udfffy', '\udc00\ud800', '\ud83d\ude00 ok', '\uffff', '\ufeffbom', '\u202etxet', '\u0085\u009b2K', '\x1b[2Ktitle\x07', 'tab\tnl\ncr\r', '\\u0000 literal'];

export const EVENT_CLASSES: HostileClass[] = [
  {
    name: 'deep nesting',
    weight: 8,
    make(ctx) {
      const depth = ctx.rng.pick([33, 64, 1000, 4100, 4112, 5000, 20_000]);
      const arrays = ctx.rng.chance(0.3);
      const where = ctx.rng.pick(['metadata', 'field', 'message', 'both']);
      const m = ctx.marker();
      const deep = nested(depth, arrays);
      const text =
        where === 'message' ? `{"message":${deep},"hx":"${m}","timestamp":"${recentIso(ctx)}"}`
        : where === 'field' ? `{"message":"deep ${m}","timestamp":"${recentIso(ctx)}","extra":${deep}}`
        : where === 'both' ? `{"message":"deep ${m}","timestamp":"${recentIso(ctx)}","metadata":{"m":${deep}},"x":${deep}}`
        : `{"message":"deep ${m}","timestamp":"${recentIso(ctx)}","metadata":{"m":${deep}}}`;
      return ndjson(ctx, 'deep nesting', withGood(ctx, [{ text, marker: m }]), { expect: [200, 400] });
    },
  },
  {
    name: 'far, odd and impossible times',
    weight: 10,
    make(ctx) {
      const parts = Array.from({ length: ctx.rng.int(1, 3) }, () => eventWith(ctx, { [ctx.rng.pick(TIME_FIELDS)]: ctx.rng.pick(times(ctx)) }, { time: false }));
      return ndjson(ctx, 'far, odd and impossible times', withGood(ctx, parts), { expect: [200, 400] });
    },
  },
  {
    name: 'NUL, lone surrogates, invalid UTF-8',
    weight: 8,
    make(ctx) {
      const nasty = ctx.rng.pick(NASTY);
      const where = ctx.rng.pick(['message', 'service', 'host', 'env', 'trace_id', 'request_id', 'key', 'value', 'event_id', 'bytes']);
      const m = ctx.marker();
      let part: Part;
      if (where === 'bytes') {
        // Raw bytes that are not UTF-8, inside a string: decoded as U+FFFD.
        const bad = Buffer.from(ctx.rng.pick([[0xff, 0xfe], [0xc0, 0x80], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]]));
        const text = `{"message":"bytes ${m} @ end","timestamp":"${recentIso(ctx)}"}`;
        const at = text.indexOf('@');
        part = { text, bytes: Buffer.concat([Buffer.from(text.slice(0, at)), bad, Buffer.from(text.slice(at + 1))]), marker: m };
      } else if (where === 'message') part = { text: JSON.stringify({ message: `nasty ${m} ${nasty}`, timestamp: recentIso(ctx) }), marker: m };
      else if (where === 'key') part = { text: JSON.stringify({ message: `nasty ${m}`, timestamp: recentIso(ctx), [nasty]: 1, metadata: { [nasty]: nasty } }), marker: m };
      else if (where === 'value') part = { text: JSON.stringify({ message: `nasty ${m}`, timestamp: recentIso(ctx), metadata: { v: nasty, list: [nasty] } }), marker: m };
      else if (where === 'event_id') part = { text: JSON.stringify({ message: `nasty ${m}`, timestamp: recentIso(ctx), event_id: `${nasty}${m}` }), marker: m };
      else part = { text: JSON.stringify({ message: `nasty ${m}`, timestamp: recentIso(ctx), [where]: nasty }), marker: m };
      return ndjson(ctx, 'NUL, lone surrogates, invalid UTF-8', withGood(ctx, [part]), { expect: [200, 400] });
    },
  },
  {
    name: 'numeric and odd levels',
    weight: 6,
    make(ctx) {
      const parts = Array.from({ length: ctx.rng.int(1, 3) }, () => eventWith(ctx, ctx.rng.chance(0.2) ? { log: { level: ctx.rng.pick(LEVELS) } } : { [ctx.rng.pick(LEVEL_FIELDS)]: ctx.rng.pick(LEVELS) }));
      return ndjson(ctx, 'numeric and odd levels', withGood(ctx, parts), { expect: [200, 400] });
    },
  },
  {
    name: 'timestamp objects',
    weight: 5,
    make(ctx) {
      const parts = Array.from({ length: ctx.rng.int(1, 2) }, () => eventWith(ctx, { [ctx.rng.pick(TIME_FIELDS)]: ctx.rng.pick(TIMESTAMP_OBJECTS) }, { time: false }));
      return ndjson(ctx, 'timestamp objects', withGood(ctx, parts), { expect: [200, 400] });
    },
  },
  {
    name: 'odd fields',
    weight: 8,
    make(ctx) {
      const m = ctx.marker();
      const long = 'x'.repeat(ctx.rng.pick([256, 257, 300, 5000]));
      const fields: Record<string, unknown>[] = [
        { service: long }, { service: '' }, { service: '   ' }, { service: 42 }, { service: { name: 'svc' } }, { service: null }, { 'service.name': 'dotted' },
        { event_id: '' }, { event_id: ' ' }, { event_id: `${'e'.repeat(201)}` }, { event_id: `é${m}` }, { event_id: `a b${m}` }, { event_id: uniqueNumber() }, { event_id: { id: m } }, { event_id: null }, { event_id: [m] },
        { host: { name: 'h' } }, { host: long }, { message: { text: 'an object' } }, { message: ['a', 'list'] }, { message: 12 }, { message: null }, { message: true }, { message: '' },
        { message: `big ${m} ${'y'.repeat(ctx.rng.pick([100_000, 262_144, 300_000]))}` }, { trace_id: long }, { trace_id: 12 }, { env: 1 }, { env: long }, { metadata: 'a string' },
        { metadata: [1, 2] }, { metadata: 3 }, { metadata: null }, { msg: 'pino msg', message: 'both' }, { log: `2026-11-01T10:00:00Z ERROR ${m} in a log field` }, { log: '{"level":50,"msg":"json in log"}' },
      ];
      const f = ctx.rng.pick(fields);
      // An id valid as sent is made this event's own: two events sent with one id are one event.
      const part = eventWith(ctx, typeof f.event_id === 'string' && /^\S{1,150}$/.test(f.event_id) && !f.event_id.includes(m) ? { event_id: `${f.event_id}${m}` } : f, { marker: m });
      return ndjson(ctx, 'odd fields', withGood(ctx, [part]), { expect: [200, 400] });
    },
  },
  {
    name: 'malformed JSON beside good lines',
    weight: 8,
    make(ctx) {
      const m = ctx.marker();
      const broken: Part[] = [
        { text: `{"message":"truncated ${m}"`, marker: m },
        { text: 'not json at all', marker: null },
        { text: 'null', marker: null },
        { text: 'true', marker: null },
        { text: '12', marker: null },
        { text: '[1,2,3]', marker: null },
        { text: `"a string line ${m}"`, marker: m },
        { text: `{"__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}},"message":"proto ${m}","timestamp":"${recentIso(ctx)}"}`, marker: m },
        { text: `{"message":"first","message":"dup ${m}","timestamp":"${recentIso(ctx)}"}`, marker: m },
        { text: `{"message":"big number ${m}","n":1e999,"m":-0,"timestamp":"${recentIso(ctx)}"}`, marker: m },
        { text: `{"message":"trailing comma ${m}",}`, marker: m },
        { text: `{'message':'single quotes'}`, marker: null },
        { text: `{"message":"ctrl ${m}\u0001\u0007"}`, marker: m },
        { text: `}{`, marker: null },
        { text: `\ufeff{"message":"bom ${m}","timestamp":"${recentIso(ctx)}"}`, marker: m },
      ];
      const part = ctx.rng.pick(broken);
      return ndjson(ctx, 'malformed JSON beside good lines', withGood(ctx, [part], ctx.rng.int(1, 3)), { expect: [200, 400] });
    },
  },
  {
    name: 'random records (fast-check)',
    weight: 12,
    make(ctx) {
      const key = fc.oneof(fc.constantFrom(...TIME_FIELDS, ...LEVEL_FIELDS, 'message', 'msg', 'log', 'service', 'host', 'env', 'trace_id', 'metadata', 'span_id', 'request_id'), fc.string({ unit: 'binary', maxLength: 12 }));
      const record = fc.dictionary(key, fc.jsonValue({ maxDepth: 4 }), { maxKeys: 8 });
      const values = fc.sample(record, { seed: ctx.fcSeed(), numRuns: ctx.rng.int(1, 4) });
      const parts = values.map((v): Part => {
        const m = ctx.marker();
        delete (v as Record<string, unknown>).event_id;
        return { text: JSON.stringify({ ...v, hx: m }), marker: m };
      });
      return ndjson(ctx, 'random records (fast-check)', withGood(ctx, parts), { expect: [200, 400] });
    },
  },
  {
    name: 'hostile text lines',
    weight: 4,
    make(ctx) {
      const lines = Array.from({ length: ctx.rng.int(1, 4) }, () => {
        const m = ctx.marker();
        const line = ctx.rng.pick([`${m} ${ctx.rng.pick(NASTY)}`.replace(/[\n\r]/g, ' '), `2026-11-01T10:00:00Z ERROR ${m}`, `{"level":"warn","msg":"${m}"}`, `level=error msg="${m}" a=${'b'.repeat(3000)}`, `${m} ${'z'.repeat(ctx.rng.pick([10, 300_000]))}`]);
        return { text: line, marker: m };
      });
      const body = lines.map((l) => l.text).join(ctx.rng.pick(['\n', '\r\n']));
      return { kind: 'http', class: 'hostile text lines', method: 'POST', path: '/logs?service=lines', headers: { 'content-type': 'text/plain', 'x-api-key': ctx.keys.hostile }, body: Buffer.from(body), markers: lines.map((l) => l.marker), expect: [200, 400] };
    },
  },
  {
    name: 'resent batches',
    weight: 4,
    make(ctx) {
      // The same good batch twice, as an agent resends after a timeout: stored once (derived ids).
      const parts = Array.from({ length: ctx.rng.int(1, 5) }, () => goodEvent(ctx));
      const c = ndjson(ctx, 'resent batches', parts, { expect: [200] });
      return { ...c, repeat: 2 } as typeof c;
    },
  },
];
