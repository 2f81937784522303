import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../shared/logger.ts';
import { MATCH_ALL } from '../../../shared/query/tree.ts';
import { dropOpenSearchNamespace, OPENSEARCH_URL, uniqueName } from '../../../test/helpers.ts';
import { A, B, C, kept, NOW, POLICY, retentionEvents } from '../../../test/retention-fixture.ts';
import type { PolicyCache } from '../../retention/policy.ts';
import { withRetention } from '../../retention/search.ts';
import { createOpenSearchRetention } from './retention.ts';
import { createOpenSearchSearch } from './search.ts';
import { createOpenSearchSink } from './sink.ts';

const log = createLogger('silent');
const namespace = uniqueName('lfret');
const opts = { url: OPENSEARCH_URL, namespace };

/** Index → markers it holds, as OpenSearch has them now. */
async function held(): Promise<Record<string, string[]>> {
  await fetch(`${OPENSEARCH_URL}/${namespace}-logs-*/_refresh`, { method: 'POST' });
  const r = await fetch(`${OPENSEARCH_URL}/${namespace}-logs-*/_search?size=100&_source=event_id`);
  const body = (await r.json()) as { hits: { hits: { _index: string; _source: { event_id: string } }[] } };
  const out: Record<string, string[]> = {};
  for (const h of body.hits.hits) (out[h._index.slice(namespace.length + 6)] ??= []).push(h._source.event_id);
  for (const k of Object.keys(out)) out[k]!.sort();
  return out;
}

beforeAll(async () => {
  const sink = createOpenSearchSink(opts);
  await sink.prepare();
  const all = retentionEvents();
  expect(await sink.write(all)).toEqual(all.map(() => ({ status: 'ok' })));
  await sink.close();
});

afterAll(() => dropOpenSearchNamespace(namespace));

const BEFORE = {
  '2026.12.01': ['a-dec01', 'b-dec01'],
  '2026.12.02': ['a-dec02'],
  '2026.11.24': ['b-nov24'],
  '2026.11.23': ['b-nov23'],
  '2026.11.20': ['a-nov20', 'b-nov20', 'c-nov20'],
  '2026.11.01': ['a-nov01'],
  '2026.10': ['a-oct31', 'c-oct31'],
  '2026.09': ['c-sep01', 'c-sep02'],
  '2026.08': ['c-aug31'],
  older: ['a-1999'],
};

const EXPECTED = [
  // No project keeps anything of these: deleted whole.
  { store: 'opensearch', kind: 'index', name: `${namespace}-logs-2026.08`, before: '2026-09-01T00:00:00.000Z', events: 1, bytes: expect.any(Number) },
  { store: 'opensearch', kind: 'index', name: `${namespace}-logs-older`, before: '1999-06-01T00:00:00.001Z', events: 1, bytes: expect.any(Number) },
  // Kept for C (90 days): the others' events past their own retention go by query.
  { store: 'opensearch', kind: 'documents', name: `${namespace}-logs-2026.09`, projectId: C, before: '2026-09-02T00:00:00.000Z', events: 1 },
  { store: 'opensearch', kind: 'documents', name: `${namespace}-logs-2026.10`, before: '2026-11-01T00:00:00.000Z', events: 1 },
  { store: 'opensearch', kind: 'documents', name: `${namespace}-logs-2026.11.20`, projectId: B, before: '2026-11-24T00:00:00.000Z', events: 1 },
  { store: 'opensearch', kind: 'documents', name: `${namespace}-logs-2026.11.23`, projectId: B, before: '2026-11-24T00:00:00.000Z', events: 1 },
];

const sorted = <T extends { name: string; kind: string }>(xs: T[]) => [...xs].sort((x, y) => (x.kind + x.name).localeCompare(y.kind + y.name));

describe('when asked what is past retention (a dry run)', () => {
  it('does list whole indices and each project’s documents past its retention, and changes nothing', async () => {
    expect(await held()).toEqual(BEFORE);
    const retention = createOpenSearchRetention(opts);
    expect(sorted(await retention.apply(POLICY, { nowMs: NOW, dryRun: true, log }))).toEqual(sorted(EXPECTED));
    await retention.close();
    expect(await held()).toEqual(BEFORE);
  });

  it('does let no search find an event past its project’s retention meanwhile, though OpenSearch still holds it', async () => {
    const policies = { get: async () => POLICY } as unknown as PolicyCache;
    const search = withRetention(createOpenSearchSearch(opts), policies, () => NOW);
    for (const project of [A, B, C]) {
      const { hits } = await search.search({ projectId: project, query: MATCH_ALL, limit: 100 });
      expect(hits.map((h) => h.event_id).sort()).toEqual(kept(project));
      const counts = await search.histogram({ projectId: project, query: MATCH_ALL, fromMs: Date.parse('1990-01-01T00:00:00Z'), toMs: NOW, intervalMs: 86_400_000 * 365 });
      expect(counts.reduce((n, c) => n + c.count, 0)).toBe(kept(project).filter((m) => !m.endsWith('dec02')).length);
    }
    await search.close();
  });
});

describe('when retention runs', () => {
  it('does delete exactly the indices no project keeps and the documents each project no longer keeps', async () => {
    const retention = createOpenSearchRetention(opts);
    expect(sorted(await retention.apply(POLICY, { nowMs: NOW, dryRun: false, log }))).toEqual(sorted(EXPECTED));
    expect(await held()).toEqual({
      '2026.12.01': ['a-dec01', 'b-dec01'],
      '2026.12.02': ['a-dec02'],
      '2026.11.24': ['b-nov24'],
      '2026.11.23': undefined,
      '2026.11.20': ['a-nov20', 'c-nov20'],
      '2026.11.01': ['a-nov01'],
      '2026.10': ['c-oct31'],
      '2026.09': ['c-sep02'],
    });
    expect(await retention.apply(POLICY, { nowMs: NOW, dryRun: false, log })).toEqual([]);
    await retention.close();
  });

  it('does let no search find an event past its project’s retention', async () => {
    const policies = { get: async () => POLICY } as unknown as PolicyCache;
    const search = withRetention(createOpenSearchSearch(opts), policies, () => NOW);
    for (const project of [A, B, C]) {
      const { hits } = await search.search({ projectId: project, query: MATCH_ALL, limit: 100 });
      expect(hits.map((h) => h.event_id).sort()).toEqual(kept(project));
    }
    await search.close();
  });
});

describe('when retention runs a moment after an old event was written', () => {
  it('does keep the older index, whose events are not searchable yet, when a project keeps them', async () => {
    // The first run of a worker comes right after its first writes: a document written within the
    // last second is not visible to a search yet, and the older index must not look empty then.
    const ns = uniqueName('lfret');
    const sink = createOpenSearchSink({ url: OPENSEARCH_URL, namespace: ns });
    try {
      await sink.prepare();
      const old = { event_id: 'late-1999', project_id: A, timestamp: '1999-05-05T00:00:00.000Z', ingest_ts: new Date(NOW).toISOString(), service: 'api', level: 'INFO' as const, message: 'late' };
      // A long refresh interval makes "written, not yet searchable" last, as it does for a second by default.
      await fetch(`${OPENSEARCH_URL}/${ns}-logs-older`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ settings: { refresh_interval: '1h' } }) });
      expect(await sink.write([old])).toEqual([{ status: 'ok' }]);
      const retention = createOpenSearchRetention({ url: OPENSEARCH_URL, namespace: ns });
      const longer: typeof POLICY = { defaultDays: 36_500, projectDays: new Map() };
      expect(await retention.apply(longer, { nowMs: NOW, dryRun: false, log })).toEqual([]);
      await retention.close();
      await fetch(`${OPENSEARCH_URL}/${ns}-logs-older/_refresh`, { method: 'POST' });
      const r = (await (await fetch(`${OPENSEARCH_URL}/${ns}-logs-older/_count`)).json()) as { count?: number };
      expect(r.count).toBe(1);
    } finally {
      await sink.close();
      await dropOpenSearchNamespace(ns);
    }
  });
});
