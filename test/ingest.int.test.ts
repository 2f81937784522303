import { gzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectStore } from '../server/auth/projects.ts';
import { openPool } from '../server/db.ts';
import { migrate } from '../server/migrate.ts';
import { startServer, type RunningServer } from '../server/server.ts';
import { loadSettings, type Settings } from '../shared/config.ts';
import { errorOfAnswer, RefusedEventsError } from '../shared/http.ts';
import { createLogger } from '../shared/logger.ts';
import { createTestDatabase, dropRedisNamespace, lastQueuedEvents, queuedEventCount, REDIS_URL, uniqueName } from './helpers.ts';

const log = createLogger('silent');
const event = (extra: Record<string, unknown> = {}) => ({ timestamp: '2026-11-01T10:00:00Z', service: 'api', level: 'INFO', message: 'hello', ...extra });

describe('when clients POST /logs and GET /search', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let settings: Settings;
  let server: RunningServer;
  let url: string;
  let key: string;
  let disabledKey: string;
  const redis = new Redis(REDIS_URL);
  const namespace = uniqueName('t');

  const post = (body: string | Buffer, headers: Record<string, string> = {}, k: string | null = key) =>
    fetch(`${url}/logs`, { method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers: { 'content-type': 'application/json', ...(k ? { 'x-api-key': k } : {}), ...headers } });

  const lastEvent = async () => (await lastQueuedEvents(redis, namespace, 1))[0]!;

  beforeAll(async () => {
    db = await createTestDatabase();
    settings = loadSettings({ DATABASE_URL: db.url, REDIS_URL, LOGFLOW_NAMESPACE: namespace, LOGFLOW_PORT: '0', LOGFLOW_MAX_BODY_BYTES: '65536', LOGFLOW_SINKS: 'postgres' });
    await migrate(settings, log);
    const pool = openPool(db.url);
    const projects = new ProjectStore(pool);
    key = (await projects.create('shop')).apiKey;
    disabledKey = (await projects.create('gone')).apiKey;
    await projects.setActive('gone', false);
    await pool.end();
    server = await startServer(settings, log);
    url = `http://127.0.0.1:${server.address.port}`;
  });

  afterAll(async () => {
    await server?.close();
    await dropRedisNamespace(redis, namespace);
    redis.disconnect();
    await db?.drop();
  });

  it('accepts one event and answers exactly 200 once Redis has it', async () => {
    const before = await queuedEventCount(redis, namespace);
    const res = await post(JSON.stringify(event({ event_id: 'client-id-1', level: 'warning' })));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 1, rejected: [] });
    expect(await queuedEventCount(redis, namespace)).toBe(before + 1);
    const stored = await lastEvent();
    expect(stored).toMatchObject({ event_id: 'client-id-1', level: 'WARN', project_id: expect.any(Number), timestamp: '2026-11-01T10:00:00.000Z' });
    expect(Date.parse(stored.ingest_ts)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('stores the good events of a batch and answers 400 naming each bad one, counting the stored ones', async () => {
    const before = await queuedEventCount(redis, namespace);
    const res = await post(JSON.stringify([event(), event({ level: 'LOUD' }), event({ timestamp: 'yesterday' }), event({ level: 'fatal' }), event({ timestamp: '2026-02-30T10:00:00Z' })]));
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body).toMatchObject({ error: 'event_invalid', accepted: 3, message: expect.stringMatching(/^2 of 5 events were refused: event 2: timestamp "yesterday".*the other 3 are stored/) });
    expect(body.rejected).toEqual([
      { index: 2, reason: expect.stringMatching(/^timestamp "yesterday" is not a time LogFlow reads: send ISO 8601/) },
      { index: 4, reason: expect.stringMatching(/^timestamp "2026-02-30T10:00:00Z" is not a date and time that exists/) },
    ]);
    expect(await queuedEventCount(redis, namespace)).toBe(before + 3);
    const refused = errorOfAnswer(res.status, body, '', undefined);
    expect(refused).toBeInstanceOf(RefusedEventsError);
    expect((refused as RefusedEventsError).accepted).toBe(3);
  });

  it('accepts NDJSON and gzip, and a line that is not JSON costs only that line', async () => {
    const ndjson = `${JSON.stringify(event())}\n{not json\n${JSON.stringify(event())}\n`;
    const res = await post(gzipSync(ndjson), { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ accepted: 2, rejected: [{ index: 1, reason: expect.stringMatching(/^line 2 is not a JSON object \("\{not json"\)/) }] });
  });

  it('reads a gzip body sent without Content-Encoding, rather than answer "Unexpected token"', async () => {
    const res = await post(gzipSync(JSON.stringify([event({ message: 'gzipped, unsaid' })])));
    expect(res.status).toBe(200);
    expect((await lastEvent()).message).toBe('gzipped, unsaid');
  });

  it('keeps unknown fields under metadata', async () => {
    const res = await post(JSON.stringify(event({ event_id: 'with-extra', user_id: 42 })));
    expect(res.status).toBe(200);
    expect((await lastEvent()).metadata).toEqual({ user_id: 42 });
  });

  it('answers 400 with every reason when no event can be stored', async () => {
    const res = await post(JSON.stringify([event({ timestamp: { when: 'now' } }), 12]));
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body).toMatchObject({ error: 'event_invalid', accepted: 0, message: expect.stringMatching(/^no event of the 2 could be stored: event 0: timestamp is an object/) });
    expect(body.rejected[1].reason).toMatch(/^element 1 is 12, not an event: send each event as a JSON object/);
  });

  it('answers 400 for a body that is not JSON, saying where it breaks', async () => {
    const res = await post('[{"broken":');
    expect(res.status).toBe(400);
    expect((await res.json()).message).toMatch(/^the body is not valid JSON: element 0 of the array breaks at line 1/);
  });

  it('answers 401 without a key, with a wrong key, and for a disabled project', async () => {
    for (const k of [null, 'lf_wrong', disabledKey]) {
      const res = await post(JSON.stringify(event()), {}, k);
      expect(res.status).toBe(401);
      expect((await res.json()).error).toBe('unauthorized');
    }
  });

  it('answers 413 for a body over the limit, also when gzip hides it', async () => {
    const big = JSON.stringify(Array.from({ length: 2000 }, () => event({ message: 'x'.repeat(100) })));
    expect((await post(big)).status).toBe(413);
    expect((await post(gzipSync(big), { 'content-encoding': 'gzip' })).status).toBe(413);
  });

  it('answers 415 for a content type it does not read', async () => {
    const res = await post('level=info', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(415);
    expect((await res.json()).message).toMatch(/application\/x-ndjson/);
  });

  it('answers 400 for search parameters it cannot read, naming the parameter', async () => {
    for (const [query, word] of [['level=LOUD', 'level'], ['from=soon', 'from'], ['limit=0', 'limit'], ['cursor=abc', 'cursor'], ['colour=red', 'colour']]) {
      const res = await fetch(`${url}/search?${query}`, { headers: { 'x-api-key': key, 'content-type': 'application/json' } });
      expect(res.status, query).toBe(400);
      expect((await res.json()).message).toContain(word);
    }
  });

  describe('when the backlog is past the high-water mark', () => {
    it('answers 429 with Retry-After', async () => {
      const tight = await startServer({ ...settings, LOGFLOW_MAX_BACKLOG: 1 }, log);
      try {
        const res = await fetch(`http://127.0.0.1:${tight.address.port}/logs`, { method: 'POST', body: JSON.stringify(event()), headers: { 'x-api-key': key, 'content-type': 'application/json' } });
        expect(res.status).toBe(429);
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      } finally {
        await tight.close();
      }
    });
  });

  describe('when Redis is unreachable', () => {
    it('answers 503 with Retry-After and promises nothing', async () => {
      const cut = await startServer({ ...settings, REDIS_URL: 'redis://127.0.0.1:9' }, log);
      try {
        const res = await fetch(`http://127.0.0.1:${cut.address.port}/logs`, { method: 'POST', body: JSON.stringify(event()), headers: { 'x-api-key': key, 'content-type': 'application/json' } });
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBeTruthy();
        expect((await res.json()).message).toMatch(/Redis/);
        const health = await fetch(`http://127.0.0.1:${cut.address.port}/healthz`);
        expect(health.status).toBe(503);
      } finally {
        await cut.close();
      }
    });
  });
});
