import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli.ts';
import { eventually, OPENSEARCH_URL } from './helpers.ts';
import { startStack, type Stack } from './stack.ts';

// What POST /logs accepts (200) every store then holds, once: through a real server and worker into
// PostgreSQL and OpenSearch. Each event below once made a store refuse it after it was accepted, or
// cost other events their place (issue 8 items 2 and 4), or was stored twice when resent (issue 9).
const deep = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
const hostile = [
  '{"message":"nul m-1 a\\u0000b","service":"api","level":"info","timestamp":"2026-11-01T10:00:01Z","metadata":{"k\\u0000":"v\\u0000"}}',
  '{"message":"surrogate m-2 \\ud800 alone","service":"api","level":"info","timestamp":"2026-11-01T10:00:02Z","host":"h\\udc00","metadata":{"x":"\\udfff"}}',
  `{"message":"deep m-3","service":"api","level":"info","timestamp":"2026-11-01T10:00:03Z","metadata":{"m":${deep(5000)}},"extra":${deep(5000)}}`,
  '{"date":1793527204.5,"log":"2026-11-01T10:00:04.250Z ERROR fluent m-4"}',
  '{"level":30,"time":1793527205000,"msg":"pino m-5","hostname":"web-1"}',
  '{"message":"epoch string m-6","level":"warning","timestamp":"1793527206000"}',
  '{"message":"custom level m-7","level":70,"timestamp":"2026-11-01T10:00:07Z"}',
];
const MARKERS = hostile.map((_, i) => `m-${i + 1}`);

describe('when hostile and odd events are accepted, then resent', () => {
  let stack: Stack;
  let db: pg.Client;
  let key: string;
  let otherKey: string;
  const answers: { status: number; body: { accepted?: number; rejected?: unknown[] } }[] = [];

  const post = async (k: string, body: string, query = '') => {
    const res = await fetch(`${stack.url}/logs${query}`, { method: 'POST', body, headers: { 'x-api-key': k, 'content-type': 'application/x-ndjson' } });
    answers.push({ status: res.status, body: (await res.json()) as { accepted?: number } });
  };
  const count = async (sql: string, params: unknown[] = []) => Number((await db.query(sql, params)).rows[0].n);
  const openSearchCount = async (query: unknown) => {
    await fetch(`${OPENSEARCH_URL}/${stack.namespace}-logs-*/_refresh`, { method: 'POST' });
    const r = await fetch(`${OPENSEARCH_URL}/${stack.namespace}-logs-*/_count`, { method: 'POST', body: JSON.stringify({ query }), headers: { 'content-type': 'application/json' } });
    return ((await r.json()) as { count?: number }).count ?? -1;
  };

  beforeAll(async () => {
    stack = await startStack({ opensearch: true });
    key = await stack.createProject('hostile');
    otherKey = await stack.createProject('bystander');
    db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    // Each on its own, so that one cannot hide what another does; then all again, as one batch, as an
    // agent resends after a timeout.
    for (const line of hostile) await post(key, line, '?service=api');
    await post(otherKey, Array.from({ length: 200 }, (_, i) => JSON.stringify({ message: `bystander ${i}`, service: 'b', level: 'info', timestamp: '2026-11-01T11:00:00Z' })).join('\n'));
    await post(key, hostile.join('\n'), '?service=api');
    await post(key, ['{"message":"impossible m-x","timestamp":"2026-02-30T10:00:00Z"}', '{"message":"beside it m-8","timestamp":"2026-11-01T10:00:08Z"}'].join('\n'), '?service=api');
    // Waited for here, judged in each test: each says what a store missed.
    const settled = (what: string, check: () => Promise<boolean>) => eventually(async () => ((await check()) ? true : undefined), 60_000, what).catch(() => undefined);
    await settled('PostgreSQL to hold the events', async () => (await count('SELECT count(*) AS n FROM logs')) >= 8 + 200);
    await settled('OpenSearch to hold the events', async () => (await openSearchCount({ match_all: {} })) >= 8 + 200);
  });

  afterAll(async () => {
    await db?.end();
    await stack?.destroy();
  });

  it('does answer 200 for events every store can take, and 400 for the impossible date beside a stored one', () => {
    expect(answers.map((a) => a.status)).toEqual([...hostile.map(() => 200), 200, 200, 400]);
    expect(answers.at(-1)!.body).toMatchObject({ accepted: 1, rejected: [{ index: 0, reason: expect.stringMatching(/2026-02-30.* is not a date and time that exists/) }] });
  });

  it('does store each event once in PostgreSQL, the resent batch included, and the other project\'s events all', async () => {
    const { rows } = await db.query("SELECT substring(message from 'm-[0-9x]+') AS marker, count(*)::int AS n FROM logs WHERE service <> 'b' GROUP BY 1 ORDER BY 1");
    expect(rows).toEqual([...MARKERS, 'm-8'].sort().map((marker) => ({ marker, n: 1 })));
    expect(await count("SELECT count(*) AS n FROM logs WHERE service = 'b'")).toBe(200);
  });

  it('does store each event once in OpenSearch, and search still answers', async () => {
    // Counted through LogFlow's own search, which this stack serves from OpenSearch: a marker is a phrase.
    const hits = async (marker: string) => {
      const r = await fetch(`${stack.url}/search?${new URLSearchParams({ q: `"${marker}"`, from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z' })}`, { headers: { 'x-api-key': key } });
      return ((await r.json()) as { hits: unknown[] }).hits.length;
    };
    for (const marker of [...MARKERS, 'm-8']) expect(await hits(marker), marker).toBe(1);
    expect(await hits('m-x')).toBe(0);
    const found = await runCli(['search', 'deep', '--output', 'ndjson', '--from', '2026-11-01T00:00:00Z', '--to', '2026-11-02T00:00:00Z'], { ...stack.env, LOGFLOW_API_KEY: key });
    expect(found.code, found.stderr).toBe(0);
    expect(found.stdout.trim().split('\n')).toHaveLength(1);
    expect((await fetch(`${OPENSEARCH_URL}/_cluster/health`)).ok).toBe(true);
  });

  it('does keep NULs and lone surrogates as U+FFFD, and deep metadata as text, in the stores', async () => {
    const row = async (marker: string) => (await db.query('SELECT message, host, metadata FROM logs WHERE message LIKE $1', [`%${marker}%`])).rows[0];
    expect(await row('m-1')).toMatchObject({ message: 'nul m-1 a\ufffdb', metadata: { 'k\ufffd': 'v\ufffd' } });
    expect(await row('m-2')).toMatchObject({ message: 'surrogate m-2 \ufffd alone', host: 'h\ufffd', metadata: { x: '\ufffd' } });
    const m3 = (await row('m-3')).metadata;
    let inner = m3.m;
    for (let i = 1; i < 32; i++) inner = inner.a;
    expect(typeof inner.a).toBe('string');
    expect(typeof m3.extra).toBe('object');
  });

  it('does read Fluent Bit\'s date and line, pino\'s numbers, epoch strings and custom levels', async () => {
    const { rows } = await db.query("SELECT substring(message from 'm-[0-9]+') AS marker, level, ts, host FROM logs WHERE message ~ 'm-[4-7]' ORDER BY 1");
    expect(rows.map((r) => [r.marker, r.level, new Date(r.ts).toISOString(), r.host])).toEqual([
      ['m-4', 'ERROR', '2026-11-01T10:00:04.250Z', null],
      ['m-5', 'INFO', '2026-11-01T10:00:05.000Z', 'web-1'],
      ['m-6', 'WARN', '2026-11-01T10:00:06.000Z', null],
      ['m-7', 'ERROR', '2026-11-01T10:00:07.000Z', null],
    ]);
  });

  it('does send nothing to the dead-letter stream', async () => {
    const redis = new Redis(stack.env.REDIS_URL!);
    try {
      expect(await redis.xlen(`${stack.namespace}:dead-letter`)).toBe(0);
    } finally {
      redis.disconnect();
    }
  });
});
