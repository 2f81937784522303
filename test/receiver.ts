import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

// A real HTTP server standing in for `logflow server` in the delivery tests: it takes POST /logs as
// the server does (gzip NDJSON), keeps the events it accepted, and answers what the test tells it to.

export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Decides the answer to one request from its events (and how many requests came before it). */
export type Answering = (events: Record<string, unknown>[], request: number) => Answer;

export interface Receiver {
  url: string;
  /** Events of every request answered 2xx, in the order they came. */
  accepted: Record<string, unknown>[];
  requests: number;
  answering: Answering;
  close(): Promise<void>;
}

/** By default every event is accepted (202), as the server answers. */
export const acceptAll: Answering = (events) => ({ status: 202, body: { accepted: events.length, rejected: [] } });

export async function startReceiver(answering: Answering = acceptAll): Promise<Receiver> {
  const receiver: Receiver = { url: '', accepted: [], requests: 0, answering, close: () => new Promise((r) => server.close(() => r())) };
  const server = createServer(async (req, res) => {
    const body = await read(req);
    const text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString('utf8');
    const events = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const a = receiver.answering(events, receiver.requests++);
    if (a.status >= 200 && a.status < 300) receiver.accepted.push(...events);
    res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers }).end(a.body === undefined ? '' : JSON.stringify(a.body));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = receiver.close;
  receiver.close = async () => {
    server.closeAllConnections();
    await close();
  };
  return receiver;
}

function read(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
