import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Status } from '../server/metrics/status.ts';
import { freePort, runCli, stop } from './cli.ts';
import { eventually } from './helpers.ts';
import { scrape, type Scrape } from './prometheus.ts';
import { startStack, type Stack } from './stack.ts';

// What an operator sees of a real stack (server, worker, Redis, PostgreSQL, OpenSearch, files): the
// server's and the worker's GET /metrics after real ingest and search, and `logflow status` run as a
// user runs it. PostgreSQL refuses messages with "forbidden" in them (a CHECK constraint), so one
// event is dead-lettered by the postgres sink while the other stores take it.
const at = (i: number) => new Date(Date.parse('2026-11-03T00:00:00Z') + i * 1000).toISOString();
const good = [1, 2, 3, 4].map((i) => JSON.stringify({ event_id: `m-${i}`, timestamp: at(i), service: 'api', level: 'INFO', message: `request ${i} handled` }));
const forbidden = JSON.stringify({ event_id: 'm-5', timestamp: at(5), service: 'api', level: 'ERROR', message: 'a forbidden word' });
const badTime = JSON.stringify({ timestamp: '2026-13-45T99:00:00Z', service: 'api', message: 'when?' });
const badId = JSON.stringify({ event_id: 'an id with spaces', timestamp: at(6), service: 'api', message: 'who?' });
const body = [...good, forbidden, '{not json', badTime, badId].join('\n') + '\n';

describe('when an operator watches a running LogFlow', () => {
  let stack: Stack;
  let key: string;
  let workerMetrics: string;
  let db: pg.Client;

  const status = async (env: NodeJS.ProcessEnv = {}) => {
    const r = await runCli(['status', '--json'], { ...stack.env, ...env });
    return { code: r.code, stderr: r.stderr, status: r.stdout ? (JSON.parse(r.stdout) as Status) : undefined };
  };
  const sinkOf = (s: Status | undefined, name: string) => s?.sinks.find((k) => k.sink === name);

  beforeAll(async () => {
    const port = await freePort();
    workerMetrics = `http://127.0.0.1:${port}/metrics`;
    stack = await startStack({ opensearch: true, workerEnv: { LOGFLOW_METRICS_PORT: String(port) } });
    key = await stack.createProject('shop');
    db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    await db.query("ALTER TABLE logs ADD CONSTRAINT no_forbidden CHECK (message NOT LIKE '%forbidden%')");
    const res = await fetch(`${stack.url}/logs`, { method: 'POST', body, headers: { 'x-api-key': key, 'content-type': 'application/x-ndjson' } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ accepted: 5 });
    // Written (or dead-lettered) by every sink.
    await eventually(
      async () => {
        const w = await scrape(workerMetrics).catch(() => undefined);
        const done = w && w.sum('logflow_sink_events_written_total', { sink: 'opensearch' }) === 5 && w.sum('logflow_sink_events_written_total', { sink: 'file' }) === 5 && w.sum('logflow_sink_events_dead_lettered_total', { sink: 'postgres' }) === 1;
        return done ? true : undefined;
      },
      60_000,
      'every sink to write the events',
    );
  });

  afterAll(async () => {
    await db?.end();
    await stack?.destroy();
  });

  describe('GET /metrics on the server', () => {
    let m: Scrape;

    beforeAll(async () => {
      const headers = { 'x-api-key': key };
      await eventually(async () => ((await (await fetch(`${stack.url}/search?q=handled`, { headers })).json()).hits?.length === 4 ? true : undefined), 30_000, 'the events to be searchable');
      expect((await fetch(`${stack.url}/search?q=handled`)).status).toBe(401);
      expect((await fetch(`${stack.url}/search/histogram?from=2026-11-03T00:00:00Z&to=2026-11-04T00:00:00Z`, { headers })).status).toBe(200);
      m = await scrape(`${stack.url}/metrics`);
    });

    it('does count ingest requests by endpoint and status', () => {
      expect(m.sum('logflow_http_requests_total', { endpoint: 'logs', status: '400' })).toBe(1);
      expect(m.sum('logflow_http_requests_total', { endpoint: 'search', status: '401' })).toBe(1);
      expect(m.sum('logflow_http_requests_total', { endpoint: 'histogram', status: '200' })).toBe(1);
      expect(m.sum('logflow_http_requests_total', { endpoint: 'healthz', status: '200' })).toBeGreaterThanOrEqual(1);
      expect(m.sum('logflow_http_request_duration_seconds_count', { endpoint: 'logs' })).toBe(1);
    });

    it('does count events accepted, refused by reason class, and the bytes handed to ingest', () => {
      expect(m.sum('logflow_ingest_events_accepted_total')).toBe(5);
      expect(m.sum('logflow_ingest_events_refused_total', { reason: 'unreadable' })).toBe(1);
      expect(m.sum('logflow_ingest_events_refused_total', { reason: 'time' })).toBe(1);
      expect(m.sum('logflow_ingest_events_refused_total', { reason: 'event_id' })).toBe(1);
      expect(m.sum('logflow_ingest_events_refused_total')).toBe(3);
      // The records' text as sent: every line that is a JSON object (the unreadable one gives none).
      expect(m.sum('logflow_ingest_bytes_total')).toBe([...good, forbidden, badTime, badId].join('').length);
    });

    it('does time each search by backend and query', () => {
      expect(m.sum('logflow_search_duration_seconds_count', { backend: 'opensearch', query: 'search', result: 'ok' })).toBeGreaterThanOrEqual(1);
      expect(m.sum('logflow_search_duration_seconds_count', { backend: 'opensearch', query: 'histogram', result: 'ok' })).toBe(1);
      expect(m.sum('logflow_search_duration_seconds_count', { backend: 'postgres' })).toBe(0);
    });

    it('does show each sink group lag and pending, none left once written', async () => {
      const q = await eventually(async () => {
        const s = await scrape(`${stack.url}/metrics`);
        return ['opensearch', 'postgres', 'file'].every((group) => s.has('logflow_queue_lag_events', { group }) && s.sum('logflow_queue_lag_events', { group }) + s.sum('logflow_queue_pending_entries', { group }) === 0) ? s : undefined;
      }, 20_000, 'the groups to settle');
      expect(q.sum('logflow_queue_up')).toBe(1);
      expect(q.sum('logflow_queue_oldest_unsettled_age_seconds', { group: 'postgres' })).toBe(0);
    });

    it('does name metrics as Prometheus users expect, with no project label', () => {
      const families = [...m.types].filter(([name]) => name.startsWith('logflow_'));
      expect(families.length).toBeGreaterThan(8);
      for (const [name, type] of families) {
        if (type === 'counter') expect(name).toMatch(/_total$/);
        if (type === 'histogram') expect(name).toMatch(/_(seconds|events)$/);
        expect(m.help.get(name)).toBeTruthy();
      }
      for (const s of m.samples) expect(Object.keys(s.labels).filter((l) => l.startsWith('project'))).toEqual([]);
      expect(m.has('process_cpu_seconds_total')).toBe(true);
    });
  });

  describe('GET /metrics on logflow worker --metrics-port', () => {
    let w: Scrape;
    beforeAll(async () => {
      w = await scrape(workerMetrics);
    });

    it('does count events written and dead-lettered per sink', () => {
      expect(w.sum('logflow_sink_events_written_total', { sink: 'opensearch' })).toBe(5);
      expect(w.sum('logflow_sink_events_written_total', { sink: 'file' })).toBe(5);
      expect(w.sum('logflow_sink_events_written_total', { sink: 'postgres' })).toBe(4);
      expect(w.sum('logflow_sink_events_dead_lettered_total', { sink: 'postgres' })).toBe(1);
    });

    it('does time writes, measure batch sizes and count writes by result', () => {
      expect(w.sum('logflow_sink_batch_events_sum', { sink: 'opensearch' })).toBe(5);
      expect(w.sum('logflow_sink_writes_total', { sink: 'opensearch', result: 'ok' })).toBeGreaterThanOrEqual(1);
      expect(w.sum('logflow_sink_writes_total', { sink: 'opensearch', result: 'error' })).toBe(0);
      // PostgreSQL's sink finds the forbidden event itself and answers it refused: the write succeeded.
      expect(w.sum('logflow_sink_writes_total', { sink: 'postgres', result: 'ok' })).toBeGreaterThanOrEqual(1);
      expect(w.sum('logflow_sink_writes_total', { sink: 'postgres', result: 'error' })).toBe(0);
      expect(w.sum('logflow_sink_write_duration_seconds_count', { sink: 'postgres' })).toBe(w.sum('logflow_sink_writes_total', { sink: 'postgres' }));
      expect(w.sum('logflow_sink_retried_events_total')).toBe(0);
    });

    it('does show the queue and retention as the worker sees them', async () => {
      expect(w.has('logflow_queue_lag_events', { group: 'postgres' })).toBe(true);
      expect(w.types.get('logflow_retention_removed_total')).toBe('counter');
      // The worker's first retention run comes 2 s after it starts (nothing is old enough to go).
      await eventually(async () => ((await scrape(workerMetrics)).sum('logflow_retention_runs_total') >= 1 ? true : undefined), 30_000, 'a retention run');
    });

    it('does answer 404 off /metrics', async () => {
      expect((await fetch(workerMetrics.replace('/metrics', '/other'))).status).toBe(404);
    });
  });

  describe('logflow status', () => {
    it('does show each sink written, its store healthy, nothing waiting, and the dead letter', async () => {
      const r = await eventually(async () => {
        const s = await status();
        return sinkOf(s.status, 'postgres')?.written === 4 && sinkOf(s.status, 'opensearch')?.written === 5 ? s : undefined;
      }, 30_000, 'the heartbeat to tell what was written');
      expect(r.code, r.stderr).toBe(0);
      expect(r.status!.workers).toHaveLength(1);
      for (const name of ['opensearch', 'postgres', 'file']) {
        expect(sinkOf(r.status, name)).toMatchObject({ store: 'ok', lag: 0, pending: 0, oldestUnwrittenSeconds: null, workers: 1, deadLetters: name === 'postgres' ? 1 : 0 });
        expect(sinkOf(r.status, name)!.writtenPerSecond).toBeGreaterThanOrEqual(0);
      }
      const text = await runCli(['status'], stack.env);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toMatch(/SINK\s+STORE\s+LAG\s+PENDING\s+WRITTEN\/S\s+DEAD LETTERS\s+OLDEST UNWRITTEN/);
      expect(text.stdout).toMatch(/^postgres\s+ok\s+0\s+0\s+\S+\s+1\s+-$/m);
    });

    it('does show what waits, and since when, while no worker runs', async () => {
      await stop(stack.worker);
      const sent = Date.now();
      const res = await fetch(`${stack.url}/logs`, { method: 'POST', body: good.map((l) => l.replace('"m-', '"w-')).join('\n'), headers: { 'x-api-key': key, 'content-type': 'application/x-ndjson' } });
      expect(res.status).toBe(200);
      await new Promise((r) => setTimeout(r, 1100));
      const r = await status();
      expect(r.code, r.stderr).toBe(0);
      expect(r.status!.workers).toEqual([]);
      for (const name of ['opensearch', 'postgres', 'file']) {
        const k = sinkOf(r.status, name)!;
        expect(k).toMatchObject({ lag: 4, pending: 0, workers: 0, writtenPerSecond: 0, store: 'ok' });
        expect(k.oldestUnwrittenSeconds).toBeGreaterThanOrEqual(1);
        expect(k.oldestUnwrittenSeconds).toBeLessThanOrEqual((Date.now() - sent) / 1000 + 1);
      }
      const text = await runCli(['status'], stack.env);
      expect(text.stdout).toMatch(/^file\s+ok\s+4\s+0\s+no worker\s+0\s+\ds$/m);
      const m = await scrape(`${stack.url}/metrics`);
      expect(m.sum('logflow_queue_lag_events', { group: 'file' })).toBe(4);
      expect(m.sum('logflow_queue_oldest_unsettled_age_seconds', { group: 'file' })).toBeGreaterThanOrEqual(1);
    });

    it('does say which store does not answer, and exits 1', async () => {
      const r = await status({ OPENSEARCH_URL: `http://127.0.0.1:${await freePort()}` });
      expect(r.code).toBe(1);
      expect(sinkOf(r.status, 'opensearch')).toMatchObject({ store: 'down', storeDetail: expect.any(String) });
      expect(sinkOf(r.status, 'postgres')).toMatchObject({ store: 'ok' });
    });

    it('does say when Redis cannot be reached, and exits 1', async () => {
      const r = await runCli(['status'], { ...stack.env, REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/Redis at redis:\/\/127\.0\.0\.1:\d+ is not reachable/);
    });
  });

  // Last: the events it lets through before the limits apply would change the counts above.
  describe('when a project is over its ingest limits', () => {
    it('does count the events of a request refused for its project\'s limits by that reason', async () => {
      const limitedKey = await stack.createProject('limited');
      const set = await runCli(['projects', 'set', 'limited', '--ingestion-events-rate', '1', '--ingestion-events-burst', '1'], stack.env);
      expect(set.code, set.stderr).toBe(0);
      const before = await scrape(`${stack.url}/metrics`);
      const answers = { 200: 0, 429: 0 } as Record<number, number>;
      // Servers apply a project's limits within 10 s: until then its events are taken.
      await eventually(async () => {
        const res = await fetch(`${stack.url}/logs`, { method: 'POST', body: JSON.stringify({ timestamp: at(9), service: 'api', message: 'again' }), headers: { 'x-api-key': limitedKey } });
        await res.body?.cancel();
        answers[res.status] = (answers[res.status] ?? 0) + 1;
        return res.status === 429 ? true : await new Promise<undefined>((r) => setTimeout(r, 250));
      }, 30_000, 'the project to be limited');
      const after = await scrape(`${stack.url}/metrics`);
      const delta = (name: string, labels: Record<string, string>) => after.sum(name, labels) - before.sum(name, labels);
      expect(delta('logflow_ingest_events_refused_total', { reason: 'rate_limited' })).toBe(1);
      expect(delta('logflow_http_requests_total', { endpoint: 'logs', status: '429' })).toBe(1);
      expect(delta('logflow_ingest_events_accepted_total', {})).toBe(answers[200]);
    });
  });
});
