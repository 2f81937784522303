// POST /_bulk, Elasticsearch's bulk API: hostile actions and documents beside good ones, and bodies
// whose action lines cannot be read. The answer has a status per action, so the harness knows
// exactly which records were taken.
import { bulkAnswer } from './answers.ts';
import { authHeaders, nested, recentIso, uniqueNumber } from './build.ts';
import type { CaseContext, Endpoint, HostileClass, HttpCase } from './types.ts';

/** One action: its line, its document's line (none for `delete`), and the marker the document carries. */
interface Action {
  action: string;
  doc?: string;
  marker: string | null;
  good?: boolean;
}

function goodAction(ctx: CaseContext): Action {
  const marker = ctx.marker();
  const action = ctx.rng.pick(['{"create":{}}', '{"index":{}}', '{"index":{"_index":"app-2026.11.01"}}', `{"create":{"_id":"hx-${uniqueNumber()}"}}`]);
  const doc = JSON.stringify({ '@timestamp': recentIso(ctx), message: `good ${marker} doc`, 'log.level': ctx.rng.pick(['info', 'warn', 'error']), 'service.name': 'hostile' });
  return { action, doc, marker, good: true };
}

function docWith(ctx: CaseContext, fields: Record<string, unknown>): { doc: string; marker: string } {
  const marker = ctx.marker();
  return { doc: JSON.stringify({ '@timestamp': recentIso(ctx), message: `hostile ${marker}`, hx: marker, ...fields }), marker };
}

function bulkOf(ctx: CaseContext, className: string, actions: Action[], extra: Partial<HttpCase> = {}): HttpCase {
  const lines = actions.flatMap((a) => (a.doc === undefined ? [a.action] : [a.action, a.doc]));
  return {
    kind: 'http',
    class: className,
    method: 'POST',
    path: ctx.rng.pick(['/_bulk', '/hostile/_bulk', '/_bulk?refresh=true', '/logs-app-default/_bulk']),
    headers: { 'content-type': ctx.rng.pick(['application/x-ndjson', 'application/json']), ...authHeaders(ctx) },
    body: Buffer.from(lines.join('\n') + '\n'),
    markers: actions.map((a) => a.marker),
    good: actions.flatMap((a, i) => (a.good ? [i] : [])),
    reader: bulkAnswer,
    expect: [200],
    ...extra,
  };
}

function withGood(ctx: CaseContext, hostile: Action[], n = ctx.rng.int(1, 3)): Action[] {
  const out = [...hostile];
  for (let i = 0; i < n; i++) out.splice(ctx.rng.int(0, out.length), 0, goodAction(ctx));
  return out;
}

const CLASSES: HostileClass[] = [
  {
    name: '_bulk: odd actions',
    weight: 4,
    make(ctx) {
      const { doc, marker } = docWith(ctx, {});
      const action = ctx.rng.pick<Action>([
        { action: '{"delete":{"_id":"x"}}', marker: null },
        { action: '{"update":{"_id":"x"}}', doc: '{"doc":{"message":"changed"}}', marker: null },
        { action: '{"create":{"_id":5}}', doc, marker },
        { action: `{"create":{"_id":"${'i'.repeat(600)}"}}`, doc, marker },
        { action: '{"create":{"_id":"a\\u0000b"}}', doc, marker },
        { action: '{"create":{"_id":""}}', doc, marker },
        { action: '{"index":{"_index":"../../etc"}}', doc, marker },
        { action: `{"index":{"_index":"${'x'.repeat(5000)}"}}`, doc, marker },
        { action: '{"index":{"_index":5,"pipeline":"p","routing":"r"}}', doc, marker },
        { action: '{"create":{},"index":{}}', doc, marker },
      ]);
      // An action line that is no action (two ops in one) makes the whole body unreadable, as in Elasticsearch: a 400.
      return bulkOf(ctx, '_bulk: odd actions', withGood(ctx, [action]), { expect: [200, 400] });
    },
  },
  {
    name: '_bulk: odd documents',
    weight: 5,
    make(ctx) {
      const marker = ctx.marker();
      const doc = ctx.rng.pick<() => string>([
        () => `{"message":"deep ${marker}","@timestamp":"${recentIso(ctx)}","x":${nested(ctx.rng.pick([40, 1000, 4100]), ctx.rng.chance(0.3))}}`,
        () => docWith(ctx, { '@timestamp': ctx.rng.pick(['yesterday', -1, 1e300, '0001-01-01T00:00:00Z', '9999-12-31T23:59:59Z', null, {}]) }).doc.replace(/hq[0-9a-z]+x\d+z/g, marker),
        () => docWith(ctx, { 'log.level': ctx.rng.pick([{}, [], 70, '\u0000', 'LOUD']) }).doc.replace(/hq[0-9a-z]+x\d+z/g, marker),
        () => docWith(ctx, { message: ctx.rng.pick(['a\u0000b', '\ud800', 7, null, { nested: 'message' }, ['a', 'b']]) }).doc.replace(/hq[0-9a-z]+x\d+z/g, marker),
        () => docWith(ctx, { __proto__x: 1, constructor: { prototype: { polluted: true } } }).doc.replace(/hq[0-9a-z]+x\d+z/g, marker),
        () => `{"message":"not closed ${marker}"`,
        () => `[{"message":"an array ${marker}"}]`,
        () => `"just a string ${marker}"`,
        () => '{}',
        () => 'null',
      ])();
      const named = doc.includes(marker) ? marker : null;
      return bulkOf(ctx, '_bulk: odd documents', withGood(ctx, [{ action: '{"create":{}}', doc, marker: named }]));
    },
  },
  {
    name: '_bulk: bodies that are no bulk',
    weight: 3,
    make(ctx) {
      const goods = [goodAction(ctx), goodAction(ctx)];
      const body = ctx.rng.pick<string>([
        '{\n{"message":"x"}\n', 'not json\n{"message":"x"}\n', '[]\n{"message":"x"}\n', '{"create":{}}\n', '{"create":{}}', '\n\n\n', '',
        `${goods.map((g) => `${g.action}\n${g.doc}`).join('\n')}\n{"create":`,
        `${goods.map((g) => `${g.action}\n${g.doc}`).join('\n')}\n{"nonsense":{}}\n{"message":"x"}\n`,
        `{"create":{}}\n${goods[0]!.doc}\n{"create":{}}`,
      ]);
      // What of it is taken is the server's to say, as Elasticsearch does per item: the goods' markers are "maybe".
      return { ...bulkOf(ctx, '_bulk: bodies that are no bulk', []), body: Buffer.from(body), markers: undefined, good: undefined, maybe: goods.flatMap((g) => (body.includes(g.marker!) ? [g.marker!] : [])), expect: [200, 400] };
    },
  },
];

export const bulkEndpoint: Endpoint = {
  name: 'POST /_bulk',
  reader: bulkAnswer,
  ok: 200,
  classes: CLASSES,
  valid: (ctx) => bulkOf(ctx, 'valid POST /_bulk', Array.from({ length: ctx.rng.int(2, 5) }, () => goodAction(ctx))),
};
