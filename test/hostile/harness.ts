// One hostile-input run against a whole LogFlow of its own (test/stack.ts): two servers (search from
// OpenSearch, and from PostgreSQL), a worker writing to all three stores, three projects. Sends the
// requests (run.ts), waits for the worker, counts every store (stores.ts), searches a sample, and
// prints the figures. Used by the full run (test/faults/hostile.faults.test.ts) and the slice in
// `npm test` (test/hostile.int.test.ts).
import { Redis } from 'ioredis';
import pg from 'pg';
import { freePort, runCli, startCli, stop } from '../cli.ts';
import { eventually, OPENSEARCH_URL } from '../helpers.ts';
import { startStack, type Stack } from '../stack.ts';
import { formatFigures } from './report.ts';
import { runHostile, type Figures } from './run.ts';
import { countStored, judgeStores, STORES, type StoreName, type StoreVerdict } from './stores.ts';

export const REQUEST_TIMEOUT_MS = 2000;
export const MAX_BODY_BYTES = 1024 * 1024;

export interface HostileResult {
  figures: Figures;
  stores: Record<StoreName, StoreVerdict> & { maybeSplit: string[] };
  /** Per server (search backend): sampled accepted events, and those not found exactly once through GET /search. */
  search: { backend: string; sampled: number; wrong: string[] }[];
  serversUp: boolean;
  deadLetters: number;
  report: string;
}

export async function hostileRun(o: { seed: number; requests: number; log?: (line: string) => void }): Promise<HostileResult> {
  const started = Date.now();
  const serverEnv = { LOGFLOW_MAX_BODY_BYTES: String(MAX_BODY_BYTES), LOGFLOW_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) };
  const stack = await startStack({ opensearch: true, serverEnv });
  let postgresSearch: ReturnType<typeof startCli> | undefined;
  try {
    const keys = { hostile: await stack.createProject('hostile'), other: await stack.createProject('bystander'), disabled: await stack.createProject('disabled') };
    for (const [name, args] of [['hostile', ['--ingestion-events-rate', '0', '--ingestion-rate', '0']], ['bystander', ['--ingestion-events-rate', '0', '--ingestion-rate', '0']]] as const) {
      const r = await runCli(['projects', 'set', name, ...args], stack.env);
      if (r.code !== 0) throw new Error(`projects set failed: ${r.stderr}`);
    }
    await runCli(['projects', 'disable', 'disabled'], stack.env);
    // A second server, search served from PostgreSQL, on the same Redis and database.
    const port = await freePort();
    const pgEnv: NodeJS.ProcessEnv = { ...stack.env, ...serverEnv, LOGFLOW_PORT: String(port) };
    delete pgEnv.OPENSEARCH_URL;
    postgresSearch = startCli(['server'], pgEnv);
    const pgUrl = `http://127.0.0.1:${port}`;
    await eventually(async () => ((await fetch(`${pgUrl}/healthz`).catch(() => undefined))?.ok ? true : undefined), 60_000, 'the PostgreSQL-search server');
    const servers = [stack.url, pgUrl];

    const figures = await runHostile({ seed: o.seed, requests: o.requests, servers, keys, maxBodyBytes: MAX_BODY_BYTES, requestTimeoutMs: REQUEST_TIMEOUT_MS });
    const sentMs = Date.now() - started;
    o.log?.(`hostile: ${o.requests} requests sent in ${Math.round(sentMs / 1000)} s; waiting for the worker`);
    const serversUp = stack.server!.exitCode === null && postgresSearch.exitCode === null && (await Promise.all(servers.map((u) => fetch(`${u}/healthz`).then((r) => r.ok, () => false)))).every(Boolean);

    const projectIds = await idsOf(stack);
    const sources = { databaseUrl: stack.databaseUrl, opensearchUrl: OPENSEARCH_URL, namespace: stack.namespace, fileDir: stack.fileDir, pattern: `hq${(o.seed >>> 0).toString(36)}x[0-9]+z` };
    const stores = await settle(async () => judgeStores(await countStored(sources), figures.ledger, projectIds));
    const search = await searchSample(figures, servers, keys, o.seed);
    const redis = new Redis(stack.env.REDIS_URL!);
    const deadLetters = await redis.xlen(`${stack.namespace}:dead-letter`);
    redis.disconnect();
    const report = formatFigures({ figures, stores, search, seconds: (Date.now() - started) / 1000, sentSeconds: sentMs / 1000, deadLetters, serversUp });
    return { figures, stores, search, serversUp, deadLetters, report };
  } finally {
    await stop(postgresSearch);
    // HOSTILE_KEEP=1 leaves the stack's database, files and indices behind, to look into a failure.
    if (process.env.HOSTILE_KEEP) {
      await stop(stack.server);
      await stop(stack.worker);
      o.log?.(`hostile: kept ${JSON.stringify({ database: stack.databaseUrl, files: stack.fileDir, namespace: stack.namespace })}`);
    } else await stack.destroy();
  }
}

async function idsOf(stack: Stack): Promise<Record<'hostile' | 'other', number>> {
  const client = new pg.Client({ connectionString: stack.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query("SELECT id, name FROM projects WHERE name IN ('hostile', 'bystander')");
    const byName = Object.fromEntries(rows.map((r: { id: string; name: string }) => [r.name, Number(r.id)]));
    return { hostile: byName.hostile!, other: byName.bystander! };
  } finally {
    await client.end();
  }
}

/** Counts until every store holds what it should, or nothing changed for 20 s (then the verdict stands). */
async function settle<T extends Record<StoreName, StoreVerdict>>(judge: () => Promise<T>): Promise<T> {
  let last = await judge();
  let unchangedSince = Date.now();
  const deadline = Date.now() + 240_000;
  while (Date.now() < deadline && STORES.some((s) => last[s].lost.length > 0) && Date.now() - unchangedSince < 20_000) {
    await new Promise((r) => setTimeout(r, 2000));
    const now = await judge();
    if (STORES.some((s) => now[s].found !== last[s].found)) unchangedSince = Date.now();
    last = now;
  }
  return last;
}

/** Events sampled for search: every one is looked for in both stores (about 10 ms a search here). */
const SEARCH_SAMPLE = 200;

/** Up to SEARCH_SAMPLE events the servers took, looked for through each server's GET /search: each found exactly once. */
async function searchSample(f: Figures, servers: string[], keys: { hostile: string; other: string }, seed: number): Promise<HostileResult['search']> {
  const accepted = [...f.ledger.accepted];
  const sample = Array.from({ length: Math.min(SEARCH_SAMPLE, accepted.length) }, (_, i) => accepted[Math.floor(((i * 2654435761 + seed) >>> 0) % accepted.length)]!);
  const to = new Date(Date.now() + 2 * 86_400_000).toISOString();
  return Promise.all(
    servers.map(async (base, i) => {
      const wrong: string[] = [];
      for (const [marker, project] of sample) {
        const r = await fetch(`${base}/search?${new URLSearchParams({ q: marker, from: '1970-01-01T00:00:00Z', to, limit: '10' })}`, { headers: { 'x-api-key': project === 'hostile' ? keys.hostile : keys.other } });
        const hits = r.ok ? ((await r.json()) as { hits: unknown[] }).hits.length : -r.status;
        if (hits !== 1) wrong.push(`${marker}: ${hits < 0 ? `answered ${-hits}` : `${hits} hits`}, sent by ${f.ledger.origin.get(marker) ?? 'a request not on record'}`);
      }
      return { backend: i === 0 ? 'OpenSearch' : 'PostgreSQL', sampled: sample.length, wrong };
    }),
  );
}
