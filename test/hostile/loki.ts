// POST /loki/api/v1/push, Loki's push API as JSON (Vector's and Fluent Bit's `loki` outputs, Loki
// client libraries): hostile entries and labels beside good ones, pushes that are no push, and
// protobuf that snappy cannot undo. Loki says how many entries were refused, not which: a good entry
// must be taken whenever any is (the stores show it), a hostile one stored once everywhere or nowhere.
import { randomBytes } from 'node:crypto';
import { lokiAnswer } from './answers.ts';
import { authHeaders, nested, recentIso } from './build.ts';
import type { CaseContext, Endpoint, HostileClass, HttpCase } from './types.ts';

interface Entry {
  value: unknown[];
  marker: string | null;
  good?: boolean;
}

interface Stream {
  labels: Record<string, unknown>;
  entries: Entry[];
}

const nanos = (ctx: CaseContext) => `${Date.parse(recentIso(ctx))}000000`;
const GOOD_LABELS = { service_name: 'hostile', level: 'info' };

function goodEntry(ctx: CaseContext): Entry {
  const marker = ctx.marker();
  return { value: [nanos(ctx), `good ${marker} line`], marker, good: true };
}

function pushOf(ctx: CaseContext, className: string, streams: Stream[], extra: Partial<HttpCase> = {}): HttpCase {
  const body = JSON.stringify({ streams: streams.map((s) => ({ stream: s.labels, values: s.entries.map((e) => e.value) })) });
  const entries = streams.flatMap((s) => s.entries);
  return {
    kind: 'http',
    class: className,
    method: 'POST',
    path: '/loki/api/v1/push',
    headers: { 'content-type': 'application/json', ...authHeaders(ctx) },
    body: Buffer.from(body),
    markers: entries.map((e) => e.marker),
    good: entries.flatMap((e, i) => (e.good ? [i] : [])),
    reader: lokiAnswer,
    expect: [204, 400],
    ...extra,
  };
}

function withGood(ctx: CaseContext, hostile: Entry[], n = ctx.rng.int(1, 3)): Entry[] {
  const out = [...hostile];
  for (let i = 0; i < n; i++) out.splice(ctx.rng.int(0, out.length), 0, goodEntry(ctx));
  return out;
}

const CLASSES: HostileClass[] = [
  {
    name: 'Loki: odd entries',
    weight: 5,
    make(ctx) {
      const marker = ctx.marker();
      const line = `hostile ${marker}`;
      const value = ctx.rng.pick<unknown[]>([
        [ctx.rng.pick(['abc', '-1', '', '1e30', '99999999999999999999999999', ' 5 ']), line], [ctx.rng.pick([5, null, {}, 1e300]), line],
        [nanos(ctx), ctx.rng.pick([123, null, {}, ['x']])], [nanos(ctx)], [nanos(ctx), line, {}, 'extra'], [],
        [nanos(ctx), line, { trace_id: { deep: true }, level: 5, event_id: 'x'.repeat(600) }], [nanos(ctx), line, 'not an object'],
        [nanos(ctx), line, { m: nested(ctx.rng.pick([40, 1000]), false) }], [nanos(ctx), `{"message":"deep ${marker}","x":${nested(ctx.rng.pick([40, 1000, 4100]), ctx.rng.chance(0.3))}}`],
        [nanos(ctx), ctx.rng.pick(['a\u0000b ', '\ud800 ', '\x1b[2K ', 'é'.repeat(4000)]) + line],
      ]);
      const named = JSON.stringify(value).includes(marker) ? marker : null;
      return pushOf(ctx, 'Loki: odd entries', [{ labels: GOOD_LABELS, entries: withGood(ctx, [{ value, marker: named }]) }]);
    },
  },
  {
    name: 'Loki: odd labels',
    weight: 3,
    make(ctx) {
      const labels = ctx.rng.pick<Record<string, unknown>>([
        { '': 'x' }, JSON.parse('{"__proto__":"x"}') as Record<string, unknown>, { constructor: 'x', toString: 'y' }, { service_name: 's'.repeat(5000) }, { service_name: 5 }, { service_name: null },
        Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`l${i}`, 'v'])), { 'bad label!': 'x' }, { level: '\u0000' }, { job: '\ud800' },
      ]);
      // Every entry of the stream has the odd labels: none of them is sure to be good; a second, plain stream is.
      const odd = withGood(ctx, [], 2).map((e) => ({ ...e, good: false }));
      return pushOf(ctx, 'Loki: odd labels', [{ labels, entries: odd }, { labels: GOOD_LABELS, entries: [goodEntry(ctx)] }]);
    },
  },
  {
    name: 'Loki: pushes that are no push',
    weight: 3,
    make(ctx) {
      const json = ctx.rng.chance(0.7);
      const body = json
        ? Buffer.from(ctx.rng.pick(['{', '[]', 'null', '{"streams":"x"}', '{"streams":[1]}', '{"streams":[{"stream":"x","values":[]}]}', '{"streams":[{"stream":{},"values":"x"}]}', '{"streams":[{"values":[[1,2,3,4]]}]}', '{"streams":[]}', '{}']))
        : randomBytes(ctx.rng.int(0, 2048));
      // Random bytes can undo (snappy) into more than the body limit: a 413.
      return { ...pushOf(ctx, 'Loki: pushes that are no push', [], { expect: [204, 400, 413] }), headers: { 'content-type': json ? 'application/json' : 'application/x-protobuf', ...authHeaders(ctx) }, body, markers: undefined, good: undefined };
    },
  },
];

export const lokiEndpoint: Endpoint = {
  name: 'POST /loki/api/v1/push',
  reader: lokiAnswer,
  ok: 204,
  classes: CLASSES,
  valid: (ctx) => pushOf(ctx, 'valid POST /loki/api/v1/push', [{ labels: GOOD_LABELS, entries: Array.from({ length: ctx.rng.int(2, 5) }, () => goodEntry(ctx)) }], { expect: [204] }),
};
