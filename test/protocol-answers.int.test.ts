import { gzipSync } from 'node:zlib';
import { Client } from '@elastic/elasticsearch';
import { Redis } from 'ioredis';
import protobuf from 'protobufjs';
import { compressSync } from 'snappy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectStore } from '../server/auth/projects.ts';
import { openPool } from '../server/db.ts';
import { ExportLogsServiceResponse, RpcStatus } from '../server/http/otlp-schema.ts';
import { migrate } from '../server/migrate.ts';
import { startServer, type RunningServer } from '../server/server.ts';
import { loadSettings, type Settings } from '../shared/config.ts';
import { createLogger } from '../shared/logger.ts';
import { createTestDatabase, dropRedisNamespace, lastQueuedEvents, queuedEventCount, REDIS_URL, uniqueName } from './helpers.ts';

// How each protocol answers what is not a plain success, in its own terms: refused keys and bodies,
// partial batches, backpressure and a Redis that is gone, and Elasticsearch's probes. Requests are
// written here as the protocols define them (the real clients are in otlp/elasticsearch/loki.int.test.ts).
const log = createLogger('silent');
const NS = 1_793_527_200_000_000_000n; // 2026-11-01T10:00:00Z
const lokiSchema = protobuf.Root.fromJSON({
  nested: {
    PushRequest: { fields: { streams: { rule: 'repeated', type: 'Stream', id: 1 } } },
    Stream: { fields: { labels: { type: 'string', id: 1 }, entries: { rule: 'repeated', type: 'Entry', id: 2 } } },
    Entry: { fields: { timestamp: { type: 'Timestamp', id: 1 }, line: { type: 'string', id: 2 } } },
    Timestamp: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } },
  },
}).lookupType('PushRequest');

describe('when agents get answers other than plain success', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let settings: Settings;
  let server: RunningServer;
  let url: string;
  let key: string;
  const redis = new Redis(REDIS_URL);
  const namespace = uniqueName('t');

  const otlpJson = (records: object[]) => JSON.stringify({ resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'cart' } }] }, scopeLogs: [{ logRecords: records }] }] });
  const post = (path: string, body: string | Uint8Array, headers: Record<string, string>, base = url) => fetch(`${base}${path}`, { method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers: { authorization: `Bearer ${key}`, ...headers } });
  /** A server of its own with these settings, for the length of `run`. */
  const withServer = async (extra: Partial<Settings>, run: (base: string) => Promise<void>) => {
    const s = await startServer({ ...settings, ...extra }, log);
    try {
      await run(`http://127.0.0.1:${s.address.port}`);
    } finally {
      await s.close();
    }
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    settings = loadSettings({ DATABASE_URL: db.url, REDIS_URL, LOGFLOW_NAMESPACE: namespace, LOGFLOW_PORT: '0', LOGFLOW_MAX_BODY_BYTES: '65536', LOGFLOW_SINKS: 'postgres' });
    await migrate(settings, log);
    const pool = openPool(db.url);
    key = (await new ProjectStore(pool).create('answers')).apiKey;
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

  describe('when OTLP clients send', () => {
    it('does answer partial_success in JSON, counting what was refused', async () => {
      const res = await post('/v1/logs', otlpJson([{ timeUnixNano: String(NS), body: { stringValue: 'good' } }, { timeUnixNano: '4000000000000000000', body: { stringValue: 'from 2096' } }]), { 'content-type': 'application/json' });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ partialSuccess: { rejectedLogRecords: '1', errorMessage: expect.stringMatching(/^1 of 2 log records were refused.*log record 1: the event's time 2096-.*The other 1 are stored/) } });
    });

    it('does answer an empty export, and one fully stored, with an empty ExportLogsServiceResponse in protobuf', async () => {
      const res = await post('/v1/logs', new Uint8Array(0), { 'content-type': 'application/x-protobuf' });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/x-protobuf');
      expect(ExportLogsServiceResponse.toObject(ExportLogsServiceResponse.decode(new Uint8Array(await res.arrayBuffer())))).toEqual({});
    });

    it('does refuse a bad key, a body that is no OTLP and a type it does not read with a google.rpc.Status, never retryable', async () => {
      const noKey = await fetch(`${url}/v1/logs`, { method: 'POST', body: new Uint8Array([1]), headers: { 'content-type': 'application/x-protobuf' } });
      expect(noKey.status).toBe(401);
      expect(RpcStatus.toObject(RpcStatus.decode(new Uint8Array(await noKey.arrayBuffer())))).toMatchObject({ code: 16, message: expect.stringMatching(/no API key/) });
      const broken = await post('/v1/logs', new Uint8Array([0x0a, 0xff, 0xff]), { 'content-type': 'application/x-protobuf' });
      expect(broken.status).toBe(400);
      expect(RpcStatus.toObject(RpcStatus.decode(new Uint8Array(await broken.arrayBuffer())))).toMatchObject({ code: 3, message: expect.stringMatching(/not an OTLP ExportLogsServiceRequest in protobuf/) });
      const notOtlp = await post('/v1/logs', '{"resourceLogs":{"x":1}}', { 'content-type': 'application/json' });
      expect(notOtlp.status).toBe(400);
      expect(await notOtlp.json()).toMatchObject({ code: 3, message: expect.stringMatching(/not an OTLP\/JSON ExportLogsServiceRequest/) });
      expect((await post('/v1/logs', 'x', { 'content-type': 'text/plain' })).status).toBe(415);
      expect((await fetch(`${url}/v1/logs`)).status).toBe(405);
    });

    it('does answer 429 and 503 with Retry-After, the statuses OTLP clients retry', async () => {
      await withServer({ LOGFLOW_MAX_BACKLOG: 1 }, async (base) => {
        await post('/logs', '{"message":"fill"}', { 'content-type': 'application/json' }); // past a backlog of 1
        const res = await post('/v1/logs', otlpJson([{ body: { stringValue: 'x' } }]), { 'content-type': 'application/json' }, base);
        expect(res.status).toBe(429);
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(await res.json()).toMatchObject({ code: 8 });
      });
      await withServer({ REDIS_URL: 'redis://127.0.0.1:9' }, async (base) => {
        const res = await post('/v1/logs', otlpJson([{ body: { stringValue: 'x' } }]), { 'content-type': 'application/json' }, base);
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBeTruthy();
      });
    });
  });

  describe('when Elasticsearch clients call', () => {
    const es = (path: string, init: RequestInit = {}) => fetch(`${url}${path}`, { ...init, headers: { authorization: `ApiKey ${key}`, accept: 'application/json', ...(init.headers as object) } });

    it('does answer GET / as Elasticsearch for a client, and leave it to the page for a browser', async () => {
      const client = await es('/');
      expect(client.status).toBe(200);
      expect(client.headers.get('x-elastic-product')).toBe('Elasticsearch');
      expect(await client.json()).toMatchObject({ version: { number: expect.stringMatching(/^8\./) }, tagline: 'You Know, for Search' });
      const browser = await fetch(`${url}/`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
      expect(browser.headers.get('x-elastic-product')).toBeNull();
      const head = await fetch(`${url}/`, { method: 'HEAD', headers: { authorization: `ApiKey ${key}` } });
      expect([head.status, head.headers.get('x-elastic-product')]).toEqual([200, 'Elasticsearch']);
    });

    it('does answer the license, feature, health, template and policy calls agents make before they send', async () => {
      expect(await (await es('/_license')).json()).toMatchObject({ license: { status: 'active' } });
      expect(await (await es('/_xpack')).json()).toMatchObject({ features: { ilm: { available: true } } });
      expect(await (await es('/_cluster/health')).json()).toMatchObject({ status: 'green' });
      expect((await es('/_index_template/filebeat-8.17.0', { method: 'HEAD' })).status).toBe(404);
      expect(await (await es('/_index_template/filebeat-8.17.0', { method: 'PUT', body: '{}', headers: { 'content-type': 'application/json' } })).json()).toEqual({ acknowledged: true });
      expect(await (await es('/_ilm/policy/filebeat', { method: 'PUT', body: '{}', headers: { 'content-type': 'application/json' } })).json()).toEqual({ acknowledged: true });
      const unknown = await es('/_snapshot/repo');
      expect(unknown.status).toBe(400);
      expect(await unknown.json()).toMatchObject({ error: { type: 'illegal_argument_exception', reason: expect.stringMatching(/_bulk API/) }, status: 400 });
    });

    it('does refuse a missing key as Elasticsearch does, so the official client says why', async () => {
      const res = await fetch(`${url}/_bulk`, { method: 'POST', body: '{"create":{}}\n{}\n', headers: { 'content-type': 'application/x-ndjson' } });
      expect(res.status).toBe(401);
      expect(res.headers.get('x-elastic-product')).toBe('Elasticsearch');
      expect(await res.json()).toMatchObject({ error: { type: 'security_exception', reason: expect.stringMatching(/no API key/) }, status: 401 });
      const client = new Client({ node: url, auth: { apiKey: 'lf_wrong' } });
      await expect(client.info()).rejects.toThrow(/security_exception.*API key is not valid/);
      await client.close();
    });

    it('does take /{index}/_bulk gzip-compressed, the index naming the service, and answer a body it cannot read whole', async () => {
      const res = await es('/checkout-2026.11.01/_bulk', { method: 'POST', body: gzipSync('{"create":{}}\n{"@timestamp":"2026-11-01T10:00:00Z","message":"from the url index"}\n'), headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' } });
      expect(await res.json()).toMatchObject({ errors: false, items: [{ create: { _index: 'checkout-2026.11.01', status: 201 } }] });
      expect((await lastQueuedEvents(redis, namespace, 1))[0]).toMatchObject({ service: 'checkout', message: 'from the url index' });
      const broken = await es('/_bulk', { method: 'POST', body: '{"create":{}\n{}\n', headers: { 'content-type': 'application/x-ndjson' } });
      expect(broken.status).toBe(400);
      expect(await broken.json()).toMatchObject({ error: { reason: expect.stringMatching(/line 1 is no bulk action/) } });
    });

    it('does answer a full backlog for the whole request, 429 with Retry-After: nothing of it was taken', async () => {
      await withServer({ LOGFLOW_MAX_BACKLOG: 1 }, async (base) => {
        const res = await post('/_bulk', '{"create":{}}\n{"message":"x"}\n', { 'content-type': 'application/x-ndjson' }, base);
        expect(res.status).toBe(429);
        expect(res.headers.get('retry-after')).toBeTruthy();
        expect(await res.json()).toMatchObject({ error: { type: 'es_rejected_execution_exception' }, status: 429 });
      });
    });
  });

  describe('when Loki clients push', () => {
    const snappyPush = (streams: { labels: string; entries: { timestamp: { seconds: number; nanos: number }; line: string }[] }[]) => compressSync(Buffer.from(lokiSchema.encode(lokiSchema.fromObject({ streams })).finish()));

    it('does answer 204, and 400 in plain text naming each refused line when some were (the others stored)', async () => {
      const ok = await post('/loki/api/v1/push', snappyPush([{ labels: '{job="api"}', entries: [{ timestamp: { seconds: 1793527200, nanos: 5 }, line: 'ok line' }] }]), { 'content-type': 'application/x-protobuf' });
      expect(ok.status).toBe(204);
      const before = await queuedEventCount(redis, namespace);
      const body = JSON.stringify({ streams: [{ stream: { job: 'api' }, values: [[String(NS), 'stored line'], ['soon', 'no time'], [String(NS), 42]] }] });
      const res = await post('/loki/api/v1/push', body, { 'content-type': 'application/json' });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await res.text()).toMatch(/^2 of 3 entries were refused.*the other 1 are stored.*\nentry 1 of stream \{"job":"api"\}: the timestamp "soon" is not nanoseconds.*\nentry 2 of stream .*: the line 42 is not a string/s);
      expect(await queuedEventCount(redis, namespace)).toBe(before + 1);
    });

    it('does refuse a stream whose labels cannot be read, and a body that is no push', async () => {
      const res = await post('/loki/api/v1/push', snappyPush([{ labels: 'job=api', entries: [{ timestamp: { seconds: 1793527200, nanos: 0 }, line: 'x' }] }]), { 'content-type': 'application/x-protobuf' });
      expect([res.status, await res.text()]).toEqual([400, expect.stringMatching(/the stream's labels "job=api" cannot be read: a label set starts with "\{"/)]);
      const notSnappy = await post('/loki/api/v1/push', 'plain', { 'content-type': 'application/x-protobuf' });
      expect(notSnappy.status).toBe(400);
      expect(await notSnappy.text()).toMatch(/snappy/);
      expect((await post('/loki/api/v1/push', '{"streams":3}', { 'content-type': 'application/json' })).status).toBe(400);
    });

    it('does refuse a snappy body that says it is larger than the limit, before undoing it', async () => {
      const claim = Buffer.from([0x80, 0x80, 0x80, 0x40]); // a length varint of 128 MiB, then nothing
      const res = await post('/loki/api/v1/push', claim, { 'content-type': 'application/x-protobuf' });
      expect(res.status).toBe(413);
    });

    it('does answer 429 with Retry-After in plain text when the backlog is full', async () => {
      await withServer({ LOGFLOW_MAX_BACKLOG: 1 }, async (base) => {
        const res = await post('/loki/api/v1/push', '{"streams":[]}', { 'content-type': 'application/json' }, base);
        expect(res.status).toBe(204); // nothing to take: nothing to refuse
        const full = await post('/loki/api/v1/push', JSON.stringify({ streams: [{ stream: { job: 'a' }, values: [[String(NS), 'x']] }] }), { 'content-type': 'application/json' }, base);
        expect([full.status, full.headers.get('retry-after') !== null]).toEqual([429, true]);
        expect(await full.text()).toMatch(/backlog is full/);
      });
    });
  });
});
