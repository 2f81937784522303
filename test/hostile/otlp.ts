// POST /v1/logs, OTLP/HTTP: hostile log records beside good ones in one export (JSON, as the
// OpenTelemetry SDKs' JSON exporter writes it), exports hostile as a whole, and protobuf that is no
// ExportLogsServiceRequest. OTLP says how many records were refused, not which: a good record must be
// taken whenever any is (the stores show it), a hostile one stored once everywhere or nowhere.
import { randomBytes } from 'node:crypto';
import { otlpJsonAnswer, otlpProtobufAnswer } from './answers.ts';
import { authHeaders, recentIso } from './build.ts';
import type { CaseContext, Endpoint, HostileClass, HttpCase } from './types.ts';

type Json = Record<string, unknown>;

interface OtlpRecord {
  record: Json;
  marker: string | null;
  good?: boolean;
}

const nanos = (ctx: CaseContext) => `${Date.parse(recentIso(ctx))}000000`;
const text = (s: string) => ({ stringValue: s });

function goodRecord(ctx: CaseContext): OtlpRecord {
  const marker = ctx.marker();
  return { record: { timeUnixNano: nanos(ctx), severityNumber: ctx.rng.pick([5, 9, 13, 17]), body: text(`good ${marker} record`) }, marker, good: true };
}

/** A record with `fields` over a plain one; its marker in an attribute, so a hostile body cannot hide it. */
function recordWith(ctx: CaseContext, fields: Json): OtlpRecord {
  const marker = ctx.marker();
  const base: Json = { timeUnixNano: nanos(ctx), severityNumber: 9, body: text(`hostile ${marker}`), attributes: [{ key: 'hx', value: text(marker) }] };
  return { record: { ...base, ...fields, attributes: [...((fields.attributes as unknown[]) ?? []), { key: 'hx', value: text(marker) }] }, marker };
}

/** `{"kvlistValue":{"values":[{"key":"a","value":…}]}}` nested `depth` levels (arrays when asked). */
function deepValue(depth: number, arrays: boolean): string {
  const open = arrays ? '{"arrayValue":{"values":[' : '{"kvlistValue":{"values":[{"key":"a","value":';
  const close = arrays ? ']}}' : '}]}}';
  return `${open.repeat(depth)}{"intValue":"1"}${close.repeat(depth)}`;
}

function exportOf(ctx: CaseContext, className: string, records: OtlpRecord[], extra: Partial<HttpCase> = {}, resource: Json = { attributes: [{ key: 'service.name', value: text('hostile') }] }): HttpCase {
  const body = JSON.stringify({ resourceLogs: [{ resource, scopeLogs: [{ scope: { name: 'hostile' }, logRecords: records.map((r) => r.record) }] }] });
  return {
    kind: 'http',
    class: className,
    method: 'POST',
    path: '/v1/logs',
    headers: { 'content-type': 'application/json', ...authHeaders(ctx) },
    body: Buffer.from(body),
    markers: records.map((r) => r.marker),
    good: records.flatMap((r, i) => (r.good ? [i] : [])),
    reader: otlpJsonAnswer,
    expect: [200, 400],
    ...extra,
  };
}

/** The hostile records, `n` good ones around them in random places. */
function withGood(ctx: CaseContext, hostile: OtlpRecord[], n = ctx.rng.int(1, 3)): OtlpRecord[] {
  const out = [...hostile];
  for (let i = 0; i < n; i++) out.splice(ctx.rng.int(0, out.length), 0, goodRecord(ctx));
  return out;
}

const NASTY = ['a\u0000b', '\ud800', '\udc00\ud800', '\ufeffbom', '\x1b[2Ktitle\x07', '\\u0000 literal', 'é'.repeat(5000)];

const CLASSES: HostileClass[] = [
  {
    name: 'OTLP: deep bodies and attributes',
    weight: 4,
    make(ctx) {
      const depth = ctx.rng.pick([33, 100, 1000, 4100]);
      const deep = deepValue(depth, ctx.rng.chance(0.3));
      const r = recordWith(ctx, {});
      // Spliced in as text: JSON.stringify of the parsed value would be as deep, and slow to build.
      const where = ctx.rng.pick(['body', 'attribute']);
      const placeholder = '"__deep__"';
      if (where === 'body') r.record.body = '__deep__';
      else (r.record.attributes as Json[]).unshift({ key: 'deep', value: '__deep__' });
      const c = exportOf(ctx, 'OTLP: deep bodies and attributes', withGood(ctx, [r]));
      return { ...c, body: Buffer.from(c.body!.toString().replace(placeholder, deep)) };
    },
  },
  {
    name: 'OTLP: odd times, severities and ids',
    weight: 4,
    make(ctx) {
      const field = ctx.rng.pick<Json>([
        { timeUnixNano: ctx.rng.pick(['-1', 'abc', '99999999999999999999999999', '', '1e30', '0x10', ' 1 ']) },
        { timeUnixNano: ctx.rng.pick([1e300, -5, 3.5, null, true, {}, []]) },
        { timeUnixNano: '0', observedTimeUnixNano: ctx.rng.pick(['0', '-1', 'x', 2 ** 64]) },
        { severityNumber: ctx.rng.pick([-5, 1000, 'x', 3.5, null, {}, 2 ** 53]) },
        { severityText: ctx.rng.pick(['', 'LOUD', '\u0000', 'x'.repeat(10_000), 7]) },
        { traceId: ctx.rng.pick(['zz', 'x'.repeat(1000), 123, '0'.repeat(32), 'AAAAAAAAAAAAAAAAAAAAAA==', null]) },
        { spanId: ctx.rng.pick(['zz', '0'.repeat(17), {}, 'ffffffffffffffff']) },
        { flags: ctx.rng.pick([-1, 'x', 2 ** 40]) },
        { droppedAttributesCount: ctx.rng.pick([-1, 'many', 1e20]) },
      ]);
      return exportOf(ctx, 'OTLP: odd times, severities and ids', withGood(ctx, [recordWith(ctx, field)]));
    },
  },
  {
    name: 'OTLP: odd values and attributes',
    weight: 4,
    make(ctx) {
      const value = ctx.rng.pick<unknown>([
        { intValue: 'notanumber' }, { intValue: '99999999999999999999999' }, { doubleValue: 'NaN' }, { doubleValue: 'Infinity' }, { boolValue: 'yes' }, { bytesValue: '!!!' },
        { bytesValue: randomBytes(64).toString('base64') }, { stringValue: ctx.rng.pick(NASTY) }, { stringValue: 7 }, {}, null, 'bare string', [1, 2], { arrayValue: { values: 'x' } },
        { kvlistValue: { values: [{ key: 5 }, null, { value: text('no key') }] } }, { stringValue: 'a', intValue: '1' },
      ]);
      const attributes = ctx.rng.pick<unknown[]>([
        [{ key: 'odd', value }], [{ key: '', value: text('empty key') }], [{ key: '__proto__', value: text('proto') }, { key: 'constructor', value: { kvlistValue: { values: [{ key: 'prototype', value: text('x') }] } } }],
        [{ key: 'x'.repeat(5000), value: text('long key') }], Array.from({ length: 3000 }, (_, i) => ({ key: `k${i}`, value: text('v') })), [{ key: 'dup', value: text('1') }, { key: 'dup', value: text('2') }],
        [{ key: 'level', value: text('\u0000') }, { key: 'timestamp', value: text('yesterday') }], [{ key: 'event_id', value: text('x'.repeat(600)) }],
      ]);
      const body = ctx.rng.chance(0.5) ? { body: value } : {};
      return exportOf(ctx, 'OTLP: odd values and attributes', withGood(ctx, [recordWith(ctx, { ...body, attributes })]));
    },
  },
  {
    name: 'OTLP: odd resources',
    weight: 2,
    make(ctx) {
      const resource = ctx.rng.pick<Json>([
        { attributes: [{ key: 'service.name', value: text('') }] }, { attributes: [{ key: 'service.name', value: { intValue: '5' } }] }, { attributes: [{ key: 'service.name', value: text('\u0000x\ud800') }] },
        { attributes: [{ key: 'service.name', value: text('s'.repeat(5000)) }] }, { attributes: [{ key: 'host.name', value: { kvlistValue: { values: [] } } }] }, {}, { droppedAttributesCount: -1 },
      ]);
      // Every record of the export shares the odd resource: none of them is sure to be good.
      return exportOf(ctx, 'OTLP: odd resources', [recordWith(ctx, {}), { ...goodRecord(ctx), good: false }], {}, resource);
    },
  },
  {
    name: 'OTLP: exports that are not OTLP',
    weight: 3,
    make(ctx) {
      const body = ctx.rng.pick<string>([
        '{"resourceLogs":"x"}', '[]', 'null', '{', '{"resourceLogs":[1]}', '{"resourceLogs":[{"scopeLogs":[{"logRecords":[1,"x"]}]}]}', '{"resourceLogs":[{"scopeLogs":{"logRecords":[]}}]}',
        '{"resourceLogs":[{"resource":{"attributes":"x"},"scopeLogs":[]}]}', '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":{"a":1}}]}]}]}', '\u0000', '{"resourceLogs":[]}', '{}',
      ]);
      return { ...exportOf(ctx, 'OTLP: exports that are not OTLP', []), body: Buffer.from(body), markers: undefined, good: undefined };
    },
  },
  {
    name: 'OTLP: protobuf that is no export',
    weight: 3,
    make(ctx) {
      // Random bytes, and bytes shaped like protobuf fields (tags, lengths past the end, deep groups).
      const body = ctx.rng.pick<() => Buffer>([
        () => randomBytes(ctx.rng.int(1, 4096)),
        () => Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]),
        () => Buffer.from('0a'.repeat(2000) + '00', 'hex'),
        () => Buffer.concat([Buffer.from([0x0a, 0x05]), Buffer.from('hello')]),
        () => Buffer.from([0x0b, 0x0b, 0x0b, 0x0b]),
        () => Buffer.from([0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]),
        () => Buffer.alloc(0),
      ])();
      return {
        kind: 'http',
        class: 'OTLP: protobuf that is no export',
        method: 'POST',
        path: '/v1/logs',
        headers: { 'content-type': 'application/x-protobuf', ...authHeaders(ctx) },
        body,
        reader: otlpProtobufAnswer,
        expect: [200, 400],
      };
    },
  },
];

export const otlpEndpoint: Endpoint = {
  name: 'POST /v1/logs',
  reader: otlpJsonAnswer,
  ok: 200,
  classes: CLASSES,
  valid: (ctx) => exportOf(ctx, 'valid POST /v1/logs', Array.from({ length: ctx.rng.int(2, 5) }, () => goodRecord(ctx)), { expect: [200] }),
};
