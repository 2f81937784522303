// Counts, in every store, the events a hostile run sent, by the marker each carries (as Vector's
// correctness harness counts unique markers): what was taken must be in PostgreSQL, OpenSearch and
// the daily files exactly once and under its own project; what was refused in none; what a broken
// request may have delivered once in all or in none. And a sample is found through LogFlow's search,
// on each server (each search backend).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import type { Ledger } from './run.ts';

export type StoreName = 'postgres' | 'opensearch' | 'files';
export const STORES: StoreName[] = ['postgres', 'opensearch', 'files'];

/**
 * Per marker: how many events carry it, the projects (ids) they were stored under, and how many
 * copies of them there are (the daily files append every copy the server took of one event: a
 * resent batch's events are in them twice, under the same event_id, as the README says).
 */
export type Found = Map<string, { n: number; copies: number; projects: Set<number>; ids: Set<string> }>;

export interface StoreSources {
  databaseUrl: string;
  opensearchUrl: string;
  namespace: string;
  fileDir: string;
  /** The markers' pattern (one run's): `hq<run>x<n>z`. */
  pattern: string;
}

function add(found: Found, marker: string, project: number, eventId?: string): void {
  const f = found.get(marker) ?? { n: 0, copies: 0, projects: new Set<number>(), ids: new Set<string>() };
  f.copies++;
  if (eventId === undefined || !f.ids.has(`${project}:${eventId}`)) f.n++;
  if (eventId !== undefined) f.ids.add(`${project}:${eventId}`);
  f.projects.add(project);
  found.set(marker, f);
}

/** The markers of each event (a marker named twice in one event counts once). */
function markersIn(text: string, re: RegExp): Set<string> {
  return new Set(text.match(re) ?? []);
}

export async function countStored(s: StoreSources): Promise<Record<StoreName, Found>> {
  const [postgres, opensearch, files] = await Promise.all([countPostgres(s), countOpenSearch(s), countFiles(s)]);
  return { postgres, opensearch, files };
}

async function countPostgres(s: StoreSources): Promise<Found> {
  const client = new pg.Client({ connectionString: s.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT l.project_id, m.marker, count(*)::int AS n FROM logs l,
         LATERAL (SELECT DISTINCT (regexp_matches(l.message || ' ' || coalesce(l.metadata::text, ''), $1, 'g'))[1] AS marker) m
       GROUP BY 1, 2`,
      [`(${s.pattern})`],
    );
    const found: Found = new Map();
    for (const r of rows as { project_id: string; marker: string; n: number }[]) for (let i = 0; i < r.n; i++) add(found, r.marker, Number(r.project_id));
    return found;
  } finally {
    await client.end();
  }
}

async function countOpenSearch(s: StoreSources): Promise<Found> {
  const found: Found = new Map();
  const re = new RegExp(s.pattern, 'g');
  const post = async (url: string, body: unknown) => (await (await fetch(url, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })).json()) as { _scroll_id?: string; hits?: { hits: { _source: { project_id: number; message: string; metadata?: unknown } }[] } };
  await fetch(`${s.opensearchUrl}/${s.namespace}-logs-*/_refresh`, { method: 'POST' });
  let page = await post(`${s.opensearchUrl}/${s.namespace}-logs-*/_search?scroll=1m`, { size: 2000, _source: ['project_id', 'message', 'metadata'], query: { match_all: {} } });
  try {
    while (page.hits?.hits.length) {
      for (const h of page.hits.hits) for (const m of markersIn(`${h._source.message} ${JSON.stringify(h._source.metadata ?? '')}`, re)) add(found, m, h._source.project_id);
      page = await post(`${s.opensearchUrl}/_search/scroll`, { scroll: '1m', scroll_id: page._scroll_id });
    }
  } finally {
    if (page._scroll_id) await fetch(`${s.opensearchUrl}/_search/scroll`, { method: 'DELETE', body: JSON.stringify({ scroll_id: page._scroll_id }), headers: { 'content-type': 'application/json' } });
  }
  return found;
}

async function countFiles(s: StoreSources): Promise<Found> {
  const found: Found = new Map();
  const re = new RegExp(s.pattern, 'g');
  for (const project of await readdir(s.fileDir).catch(() => [] as string[])) {
    for (const file of await readdir(path.join(s.fileDir, project))) {
      const text = await readFile(path.join(s.fileDir, project, file), 'utf8');
      for (const line of text.split('\n')) {
        if (!line) continue;
        const e = JSON.parse(line) as { message: string; metadata?: unknown; project_id: number; event_id: string };
        for (const m of markersIn(`${e.message} ${JSON.stringify(e.metadata ?? '')}`, re)) add(found, m, e.project_id, e.event_id);
      }
    }
  }
  return found;
}

export interface StoreVerdict {
  expected: number;
  found: number;
  lost: string[];
  duplicated: string[];
  /** Stored under another project than the key it was sent with. */
  misplaced: string[];
  /** Refused, yet stored. */
  unexpected: string[];
  /** Events held more than once under one event_id (the daily files' copies of a resent event). */
  copies: number;
}

/** What each store holds against the ledger; `projectIds` names each project's id. */
export function judgeStores(found: Record<StoreName, Found>, ledger: Ledger, projectIds: Record<'hostile' | 'other', number>): Record<StoreName, StoreVerdict> & { maybeSplit: string[] } {
  const out = {} as Record<StoreName, StoreVerdict>;
  for (const store of STORES) {
    const f = found[store];
    const v: StoreVerdict = { expected: ledger.accepted.size, found: 0, lost: [], duplicated: [], misplaced: [], unexpected: [], copies: 0 };
    for (const [m, project] of ledger.accepted) {
      const got = f.get(m);
      if (!got) v.lost.push(m);
      else {
        v.found++;
        if (got.n > 1) v.duplicated.push(m);
        v.copies += got.copies - got.n;
        if (got.projects.size !== 1 || !got.projects.has(projectIds[project])) v.misplaced.push(m);
      }
    }
    for (const m of ledger.refused) if (f.has(m)) v.unexpected.push(m);
    for (const m of ledger.maybe) if ((f.get(m)?.n ?? 0) > 1) v.duplicated.push(m);
    out[store] = v;
  }
  // A broken request's events: in every store or in none.
  const maybeSplit = [...ledger.maybe].filter((m) => !ledger.accepted.has(m) && new Set(STORES.map((s) => found[s].has(m))).size > 1);
  return { ...out, maybeSplit };
}
