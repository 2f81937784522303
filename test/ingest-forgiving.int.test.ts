import { deflateSync, gzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectStore } from '../server/auth/projects.ts';
import { openPool } from '../server/db.ts';
import { migrate } from '../server/migrate.ts';
import { startServer, type RunningServer } from '../server/server.ts';
import { loadSettings } from '../shared/config.ts';
import type { LogEvent } from '../shared/event.ts';
import { createLogger } from '../shared/logger.ts';
import { createTestDatabase, dropRedisNamespace, lastQueuedEvents, REDIS_URL, uniqueName } from './helpers.ts';

// POST /logs as agents other than `logflow ship` send to it, unchanged: what each sends, and what the
// stream then holds (the stores' side is test/ingest-stores.int.test.ts).
describe('when other agents POST /logs as they are', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: RunningServer;
  let url: string;
  let key: string;
  const redis = new Redis(REDIS_URL);
  const namespace = uniqueName('t');

  const post = (body: string | Buffer, headers: Record<string, string> = {}, path = '/logs') =>
    fetch(`${url}${path}`, { method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers: { 'content-type': 'application/json', 'x-api-key': key, ...headers } });

  /** The last `n` events the stream took, oldest first. */
  const lastEvents = (n: number): Promise<LogEvent[]> => lastQueuedEvents(redis, namespace, n);

  beforeAll(async () => {
    db = await createTestDatabase();
    const settings = loadSettings({ DATABASE_URL: db.url, REDIS_URL, LOGFLOW_NAMESPACE: namespace, LOGFLOW_PORT: '0', LOGFLOW_SINKS: 'postgres' });
    await migrate(settings, createLogger('silent'));
    const pool = openPool(db.url);
    key = (await new ProjectStore(pool).create('agents')).apiKey;
    await pool.end();
    server = await startServer(settings, createLogger('silent'));
    url = `http://127.0.0.1:${server.address.port}`;
  });

  afterAll(async () => {
    await server?.close();
    await dropRedisNamespace(redis, namespace);
    redis.disconnect();
    await db?.drop();
  });

  it('reads Fluent Bit\'s http output (json): its date, and the raw line in log read as logflow ship reads it', async () => {
    const body = JSON.stringify([
      { date: 1793527205.488405, log: '2026-11-01T10:00:00.123Z ERROR payment failed for order 7' },
      { date: 1793527206.1, log: '{"level":40,"time":1793527201000,"msg":"slow query","ms":812}' },
      { date: 1793527207.25, log: 'plain words, no level' },
    ]);
    const res = await post(body, {}, '/logs?service=api');
    expect(res.status).toBe(200);
    expect(await lastEvents(3)).toMatchObject([
      { service: 'api', level: 'ERROR', message: '2026-11-01T10:00:00.123Z ERROR payment failed for order 7', timestamp: '2026-11-01T10:00:00.123Z' },
      { service: 'api', level: 'WARN', message: 'slow query', timestamp: '2026-11-01T10:00:01.000Z', metadata: { ms: 812 } },
      { service: 'api', level: 'INFO', message: 'plain words, no level', timestamp: '2026-11-01T10:00:07.250Z' },
    ]);
  });

  it('reads json_lines and json_stream (objects back to back), gzip with or without Content-Encoding, deflate', async () => {
    const records = [1, 2, 3].map((i) => JSON.stringify({ date: 1793527200 + i, log: `INFO line ${i}` }));
    for (const [body, headers] of [
      [records.join('\n'), { 'content-type': 'application/x-ndjson' }],
      [records.join(''), {}],
      [gzipSync(records.join('')), { 'content-encoding': 'gzip' }],
      [gzipSync(records.join('\n')), {}],
      [deflateSync(records.join('\n')), { 'content-encoding': 'deflate' }],
    ] as const) {
      const res = await post(body, { ...headers, 'x-logflow-service': 'stream' });
      expect(res.status, JSON.stringify(headers)).toBe(200);
      expect(await res.json()).toEqual({ accepted: 3, rejected: [] });
      expect((await lastEvents(3)).map((e) => `${e.service} ${e.message}`)).toEqual(['stream INFO line 1', 'stream INFO line 2', 'stream INFO line 3']);
    }
  });

  it('reads plain log lines sent as text/plain', async () => {
    const res = await post('2026-11-01T10:00:00Z WARN disk 91%\n\nERROR boom\r\n', { 'content-type': 'text/plain' }, '/logs?service=cron');
    expect(res.status).toBe(200);
    expect(await lastEvents(2)).toMatchObject([{ level: 'WARN', message: '2026-11-01T10:00:00Z WARN disk 91%', timestamp: '2026-11-01T10:00:00.000Z' }, { level: 'ERROR', message: 'ERROR boom', metadata: { timestamp_source: 'received' } }]);
  });

  it('reads winston\'s and pino\'s levels and times as they write them', async () => {
    const body = [
      { level: 'http', message: 'GET /', service: 'web', timestamp: '2026-11-01T10:00:00.000Z' },
      { level: 'silly', message: 'detail', service: 'web', timestamp: '2026-11-01T10:00:00.000Z' },
      { level: 30, time: 1793527200000, msg: 'pino', hostname: 'h1', pid: 9 },
      { level: 'info', message: 'epoch in a string', timestamp: '1700000000000' },
      { level: 'info', message: 'a Timestamp object', timestamp: { seconds: 1793527200, nanos: 250000000 } },
    ];
    const res = await post(JSON.stringify(body));
    expect(res.status).toBe(200);
    expect(await lastEvents(5)).toMatchObject([
      { level: 'INFO', service: 'web' }, { level: 'DEBUG' }, { level: 'INFO', message: 'pino', host: 'h1', service: 'unknown_service', timestamp: '2026-11-01T10:00:00.000Z' },
      { timestamp: '2023-11-14T22:13:20.000Z' }, { timestamp: '2026-11-01T10:00:00.250Z' },
    ]);
  });

  it('takes the key from Bearer, ApiKey (plain or base64 id:key) and Basic auth, for search too', async () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    for (const authorization of [`Bearer ${key}`, `ApiKey ${key}`, `ApiKey ${b64(`some-id:${key}`)}`, `Basic ${b64(`fluent:${key}`)}`]) {
      const res = await fetch(`${url}/logs`, { method: 'POST', body: '{"message":"keyed"}', headers: { authorization } });
      expect(res.status, authorization).toBe(200);
      expect((await fetch(`${url}/search?limit=1`, { headers: { authorization } })).status, authorization).toBe(200);
    }
    const wrong = await fetch(`${url}/logs`, { method: 'POST', body: '{"message":"x"}', headers: { authorization: `Basic ${b64('fluent:lf_wrong')}` } });
    expect(wrong.status).toBe(401);
    const none = await fetch(`${url}/logs`, { method: 'POST', body: '{"message":"x"}' });
    expect((await none.json()).message).toMatch(/X-API-Key, Authorization: Bearer <key>, Authorization: ApiKey <key>, or as the password of Basic auth/);
  });

  it('names a bad service parameter or an unknown one', async () => {
    expect((await post('{"message":"x"}', {}, `/logs?service=${'s'.repeat(300)}`)).status).toBe(400);
    const res = await post('{"message":"x"}', {}, '/logs?servce=api');
    expect(res.status).toBe(400);
    expect((await res.json()).message).toMatch(/unknown parameter "servce"/);
  });

  it('gives a record without an id of its own the same event_id each time it is sent, unless it names no time', async () => {
    const body = JSON.stringify([{ date: 1793527200.000001, log: 'INFO sent twice' }, { date: 1793527200.000002, log: 'INFO sent twice' }, { message: 'no time' }]);
    await post(body);
    const first = await lastEvents(3);
    await post(body);
    const second = await lastEvents(3);
    expect(second[0]!.event_id).toBe(first[0]!.event_id);
    expect(second[1]!.event_id).toBe(first[1]!.event_id);
    expect(first[1]!.event_id).not.toBe(first[0]!.event_id); // a microsecond apart: two events
    expect(second[2]!.event_id).not.toBe(first[2]!.event_id);
    await post(body, {}, '/logs?service=other');
    expect((await lastEvents(3))[0]!.event_id).not.toBe(first[0]!.event_id);
  });
});
