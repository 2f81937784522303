// A stand-in for `logflow server` in bench/ship.bench.ts: takes POST /logs, undoes gzip, counts the
// NDJSON events and answers 202 as the real server does, without Redis behind it, so the shipper is
// what gets measured. Told over IPC to answer 503 + Retry-After instead (the server is down).
// Runs in a process of its own: `fork('bench/receiver.ts', { execArgv: ['--import', 'tsx'] })`.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzip } from 'node:zlib';

export type ReceiverCommand = { type: 'mode'; down: boolean } | { type: 'stats' } | { type: 'wait'; events: number };
export interface ReceiverStats {
  events: number;
  requests: number;
  refused: number;
  /** This process's CPU seconds: it shares the machine with the shipper. */
  cpuSeconds: number;
}
export type ReceiverMessage = { type: 'ready'; port: number } | { type: 'stats'; stats: ReceiverStats } | { type: 'reached'; stats: ReceiverStats };

let down = false;
const counts = { events: 0, requests: 0, refused: 0 };
const waiting: number[] = [];

const send = (m: ReceiverMessage) => process.send!(m);
const stats = (): ReceiverStats => {
  const cpu = process.cpuUsage();
  return { ...counts, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
};

function countEvents(body: Buffer): number {
  let n = 0;
  let from = 0;
  for (let nl = body.indexOf(10); nl >= 0; nl = body.indexOf(10, from)) {
    if (nl > from) n++;
    from = nl + 1;
  }
  return from < body.length ? n + 1 : n;
}

function accepted(n: number): void {
  counts.events += n;
  while (waiting.length && counts.events >= waiting[0]!) {
    waiting.shift();
    send({ type: 'reached', stats: stats() });
  }
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    counts.requests++;
    if (req.method !== 'POST' || req.url !== '/logs') return void res.writeHead(404).end();
    if (down) {
      counts.refused++;
      return void res.writeHead(503, { 'retry-after': '1', 'content-type': 'application/json' }).end('{"message":"bench receiver is in server-down mode"}');
    }
    const body = Buffer.concat(chunks);
    const answer = (err: Error | null, ndjson: Buffer) => {
      if (err) return void res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ message: err.message }));
      const n = countEvents(ndjson);
      accepted(n);
      res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: n, rejected: [] }));
    };
    if (req.headers['content-encoding'] === 'gzip') gunzip(body, answer);
    else answer(null, body);
  });
});

process.on('message', (m: ReceiverCommand) => {
  if (m.type === 'mode') down = m.down;
  if (m.type === 'stats') send({ type: 'stats', stats: stats() });
  if (m.type === 'wait') {
    waiting.push(m.events);
    waiting.sort((a, b) => a - b);
    accepted(0);
  }
});
// The bench going away (even killed) closes the IPC channel: leave with it.
process.on('disconnect', () => process.exit(0));

server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => send({ type: 'ready', port: (server.address() as AddressInfo).port }));
