import http from 'node:http';
import net from 'node:net';
import { gzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectStore } from '../server/auth/projects.ts';
import { openPool } from '../server/db.ts';
import { migrate } from '../server/migrate.ts';
import { startServer, type RunningServer } from '../server/server.ts';
import { loadSettings } from '../shared/config.ts';
import { createLogger } from '../shared/logger.ts';
import { createTestDatabase, dropRedisNamespace, REDIS_URL, uniqueName } from './helpers.ts';

// Issue 8 item 6: a refused request (401, 413, 415, 400, 404 ...) must never make the client's next
// request on the same keep-alive connection fail. Each refusal below is followed at once by a good
// request on one pooled connection, as node's http Agent and fetch (undici) reuse it.
const LIMIT = 65_536;
const good = JSON.stringify({ message: 'after a refusal', level: 'info', service: 'keepalive' });

interface Refusal {
  name: string;
  status: number;
  path?: string;
  method?: string;
  headers?: Record<string, string>;
  body: Buffer;
  /** Send the body chunked (no Content-Length). */
  chunked?: boolean;
}

describe('when a keep-alive client is refused and sends again on the same connection', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: RunningServer;
  let base: string;
  let key: string;
  const namespace = uniqueName('t');
  const refusals = (): Refusal[] => [
    { name: 'no key', status: 401, headers: {}, body: Buffer.from(good) },
    { name: 'a wrong key, a batch-sized body', status: 401, headers: { 'x-api-key': 'lf_wrong' }, body: gzipSync(Buffer.alloc(200_000, good)), },
    { name: 'an encoding it does not read', status: 415, headers: { 'x-api-key': key, 'content-encoding': 'br' }, body: Buffer.from(good) },
    { name: 'a content type it does not read', status: 415, headers: { 'x-api-key': key, 'content-type': 'image/png' }, body: Buffer.alloc(30_000, 1) },
    { name: 'an unknown parameter', status: 400, path: '/logs?servce=x', headers: { 'x-api-key': key }, body: Buffer.from(good) },
    { name: 'no route', status: 404, path: '/nowhere', headers: { 'x-api-key': key }, body: Buffer.from(good) },
    { name: 'a method not allowed', status: 405, method: 'PUT', headers: { 'x-api-key': key }, body: Buffer.from(good) },
    { name: 'a declared length over the limit', status: 413, headers: { 'x-api-key': key }, body: Buffer.alloc(LIMIT * 3, 'a') },
    { name: 'a chunked body over the limit', status: 413, headers: { 'x-api-key': key }, body: Buffer.alloc(LIMIT * 3, 'a'), chunked: true },
    { name: 'a gzip bomb', status: 413, headers: { 'x-api-key': key }, body: gzipSync(Buffer.alloc(LIMIT * 50, 'a')) },
    { name: 'a search parameter it cannot read', status: 400, method: 'GET', path: '/search?limit=0', headers: { 'x-api-key': key }, body: Buffer.from('{}') },
  ];

  beforeAll(async () => {
    db = await createTestDatabase();
    const settings = loadSettings({ DATABASE_URL: db.url, REDIS_URL, LOGFLOW_NAMESPACE: namespace, LOGFLOW_PORT: '0', LOGFLOW_MAX_BODY_BYTES: String(LIMIT), LOGFLOW_REQUEST_TIMEOUT_MS: '2000', LOGFLOW_SINKS: 'postgres' });
    await migrate(settings, createLogger('silent'));
    const pool = openPool(db.url);
    key = (await new ProjectStore(pool).create('keepalive')).apiKey;
    await pool.end();
    server = await startServer(settings, createLogger('silent'));
    base = `http://127.0.0.1:${server.address.port}`;
  });

  afterAll(async () => {
    await server?.close();
    const redis = new Redis(REDIS_URL);
    await dropRedisNamespace(redis, namespace);
    redis.disconnect();
    await db?.drop();
  });

  it('does answer the next request through node\'s http Agent, every time', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const send = (r: Pick<Refusal, 'path' | 'method' | 'headers' | 'body' | 'chunked'>) =>
      new Promise<{ status: number | string; json?: { message?: string }; reused: boolean }>((resolve) => {
        const headers = { 'content-type': 'application/json', ...r.headers, ...(r.chunked ? {} : { 'content-length': String(r.body.length) }) };
        const req = http.request(`${base}${r.path ?? '/logs'}`, { method: r.method ?? 'POST', agent, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(Buffer.concat(chunks).toString() || '{}'), reused: req.reusedSocket }));
        });
        req.on('error', (err: NodeJS.ErrnoException) => resolve({ status: err.code ?? err.message, reused: req.reusedSocket }));
        if (r.chunked) for (let i = 0; i < r.body.length; i += 16_384) req.write(r.body.subarray(i, i + 16_384));
        req.end(r.chunked ? undefined : r.body);
      });
    const outcomes: string[] = [];
    try {
      for (let round = 0; round < 10; round++) {
        for (const r of refusals()) {
          const refused = await send(r);
          const next = await send({ headers: { 'x-api-key': key }, body: Buffer.from(good) });
          outcomes.push(`${r.name}: ${refused.status} then ${next.status}`);
          expect(refused.json?.message, r.name).toEqual(expect.any(String));
        }
      }
    } finally {
      agent.destroy();
    }
    const expected = Array.from({ length: 10 }, () => refusals().map((r) => `${r.name}: ${r.status} then 200`)).flat();
    expect(outcomes).toEqual(expected);
  });

  it('does keep the connection open after a refusal of a small body, so nothing is reconnected', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    try {
      for (let i = 0; i < 20; i++) {
        await new Promise<void>((resolve, reject) => {
          const body = Buffer.from(good);
          const req = http.request(`${base}/logs`, { method: 'POST', agent, headers: { 'x-api-key': i % 2 ? key : 'lf_wrong', 'content-length': String(body.length) } }, (res) => {
            res.resume();
            res.on('end', resolve);
          });
          req.on('socket', (s) => sockets.add(s));
          req.on('error', reject);
          req.end(body);
        });
      }
    } finally {
      agent.destroy();
    }
    expect(sockets.size).toBe(1);
  });

  it('does answer the next request through fetch (undici), every time', async () => {
    const outcomes: string[] = [];
    const fetchAnswer = (r: Pick<Refusal, 'path' | 'method' | 'headers' | 'body'>) =>
      fetch(`${base}${r.path ?? '/logs'}`, { method: r.method ?? 'POST', headers: { 'content-type': 'application/json', ...r.headers }, body: r.method === 'GET' ? undefined : new Uint8Array(r.body) }).then(
        async (res) => ({ status: res.status as number | string, json: (await res.json()) as { message?: string } }),
        (err: Error & { cause?: { code?: string } }) => ({ status: err.cause?.code ?? err.message, json: undefined }),
      );
    for (let round = 0; round < 10; round++) {
      for (const r of refusals().filter((x) => !x.chunked)) {
        const refused = await fetchAnswer(r);
        const next = await fetchAnswer({ headers: { 'x-api-key': key }, body: Buffer.from(good) });
        outcomes.push(`${r.name}: ${refused.status} then ${next.status}`);
      }
    }
    const expected = Array.from({ length: 10 }, () => refusals().filter((x) => !x.chunked).map((r) => `${r.name}: ${r.status} then 200`)).flat();
    expect(outcomes).toEqual(expected);
  });

  /** A raw connection: what a client that does not play by HTTP's rules sends, and everything the server writes back until it closes. */
  const raw = (write: (socket: net.Socket) => void, allowHalfOpen = false) =>
    new Promise<{ text: string; ms: number }>((resolve) => {
      const started = Date.now();
      const socket = net.connect({ port: server.address.port, host: '127.0.0.1', allowHalfOpen });
      const chunks: Buffer[] = [];
      socket.on('data', (c) => chunks.push(c));
      socket.on('error', () => {});
      socket.on('close', () => resolve({ text: Buffer.concat(chunks).toString(), ms: Date.now() - started }));
      socket.on('connect', () => write(socket));
    });

  it('does answer a body that trickles in too slowly with 408 and JSON, and closes the connection', async () => {
    const { text, ms } = await raw((socket) => {
      socket.write(`POST /logs HTTP/1.1\r\nhost: x\r\nx-api-key: ${key}\r\ncontent-length: 1000\r\n\r\n{"message":`);
      const timer = setInterval(() => socket.writable && socket.write(' '), 200);
      socket.on('close', () => clearInterval(timer));
    });
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: 'request_timeout', message: expect.stringContaining('in time') });
    expect(ms).toBeLessThan(10_000);
  });

  it('does answer broken chunked framing with 400 and JSON', async () => {
    const { text } = await raw((socket) => socket.write(`POST /logs HTTP/1.1\r\nhost: x\r\nx-api-key: ${key}\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`));
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)).message).toMatch(/not valid HTTP/);
  });

  it('does answer a request target that is no URL with JSON, and stays up', async () => {
    // An absolute-form target node accepts and URL cannot read: it once threw outside the handler's try,
    // an unhandled rejection that ends the process.
    const { text } = await raw((socket) => socket.write('GET http://[ HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'));
    expect(text).toMatch(/^HTTP\/1\.1 4\d\d /);
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)).message).toEqual(expect.any(String));
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('does answer a client streaming far more than the limit with 413, and stops reading it soon', async () => {
    // A client that goes on sending whatever it is told (its side stays open after the server's FIN).
    let written = 0;
    const { text, ms } = await raw((socket) => {
      socket.write(`POST /logs HTTP/1.1\r\nhost: x\r\nx-api-key: ${key}\r\ntransfer-encoding: chunked\r\n\r\n`);
      const chunk = Buffer.concat([Buffer.from('10000\r\n'), Buffer.alloc(0x10000, 'a'), Buffer.from('\r\n')]);
      const pump = () => {
        // Far more than the server reads in its 2 s of lingering, so that it is still sending when cut.
        while (socket.writable && written < 2 ** 36) {
          written += chunk.length;
          if (!socket.write(chunk)) return void socket.once('drain', pump);
        }
      };
      pump();
    }, true);
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)).error).toBe('body_too_large');
    // The answer, then what the client still sends is read and discarded for 2 s or 4 MiB at most
    // (beyond the limit's 64 KiB and what the sockets' buffers hold), then the connection is cut.
    expect(written).toBeLessThan(64 * 1024 * 1024);
    expect(ms).toBeLessThan(6000);
  });
});
