// Hostile requests written on a raw socket (framing.ts: HTTP broken in its framing, its headers or its
// time), and the rules their answers are held to: the answers parsed off the wire, the connection let
// go of in time, each answer as its protocol (or, for HTTP no route has read, LogFlow) answers.
import net from 'node:net';
import { logflowAnswer } from './answers.ts';
import type { Ledger } from './run.ts';
import type { RawCase } from './types.ts';

interface RawResponse {
  status: number;
  headers: string;
  body: Buffer;
}

export interface RawAnswer {
  responses: RawResponse[];
  statuses: number[];
  ms: number;
  timedOut: boolean;
  text: string;
  /** Bytes after the last whole response that are not one. */
  trailing: string;
}

/** The responses on a connection, one after the other, each as long as its Content-Length says. */
function parseResponses(data: Buffer): { responses: RawResponse[]; trailing: string } {
  const responses: RawResponse[] = [];
  let at = 0;
  while (at < data.length) {
    const end = data.indexOf('\r\n\r\n', at);
    const head = end < 0 ? '' : data.subarray(at, end).toString('latin1');
    const status = /^HTTP\/1\.1 (\d{3}) /.exec(head);
    // A 204 has no body, so it needs no Content-Length.
    const length = status?.[1] === '204' ? ['', '0'] : /\r\ncontent-length: *(\d+)/i.exec(head);
    if (!status || !length || end + 4 + Number(length[1]) > data.length) break;
    responses.push({ status: Number(status[1]), headers: head.toLowerCase(), body: data.subarray(end + 4, end + 4 + Number(length[1])) });
    at = end + 4 + Number(length[1]);
  }
  return { responses, trailing: data.subarray(at).toString('latin1') };
}

/** Writes a raw case on a socket of its own and reads until the server closes it (or `maxMs`). */
export function sendRaw(port: number, c: RawCase, maxMs: number): Promise<RawAnswer> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, maxMs);
    socket.on('data', (b) => {
      chunks.push(b);
      // Answered, and the server keeps the connection for a next request: a client would send one or
      // close it, so the harness closes it (an idle keep-alive connection is rightly held open).
      const { responses } = parseResponses(Buffer.concat(chunks));
      const last = responses.at(-1);
      if (last && responses.length >= (c.exactly?.length ?? 1) && /\r\nconnection: keep-alive/.test(last.headers)) socket.destroy();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const data = Buffer.concat(chunks);
      const { responses, trailing } = parseResponses(data);
      resolve({ responses, statuses: responses.map((r) => r.status), ms: Date.now() - started, timedOut, text: data.toString('latin1'), trailing });
    });
    socket.on('connect', () => c.write(socket));
  });
}

/**
 * Connections held past the request timeout, per class. A broken or slow request is let go of within
 * the request timeout, node's check of it (every second) and the linger after an answer: 5 s more.
 * A hold past twice that (the harness gives up) is a violation at once; one merely late is counted, as
 * on a machine this loaded a server can stall for seconds now and then, and is a violation when it is
 * no exception: more than a tenth of a class's connections, and more than two (a server that does not
 * check its connections every second, or does not time them out, is late on most of them).
 */
export type Holds = Map<string, { tried: number; late: number; longestMs: number }>;

export function lateHolds(holds: Holds, requestTimeoutMs: number): string[] {
  return [...holds]
    .filter(([, h]) => h.late > 2 && h.late > h.tried / 10)
    .map(([cls, h]) => `${cls}: the server held ${h.late} of ${h.tried} connections past its request timeout (${requestTimeoutMs} ms) + 5 s, the longest ${h.longestMs} ms`);
}

export function judgeRaw(c: RawCase, a: RawAnswer, requestTimeoutMs: number, ledger: Ledger, holds: Holds, violate: (what: string) => void): void {
  for (const m of c.maybe ?? []) {
    if (!ledger.accepted.has(m)) ledger.maybe.add(m);
    ledger.origin.set(m, `${c.class}: answered ${a.statuses.join('+') || 'nothing'}`);
  }
  const hold = holds.get(c.class) ?? { tried: 0, late: 0, longestMs: 0 };
  holds.set(c.class, hold);
  hold.tried++;
  hold.longestMs = Math.max(hold.longestMs, a.ms);
  if (a.timedOut || a.ms > requestTimeoutMs + 5000) hold.late++;
  if (a.timedOut) return violate(`${c.class}: the server held the connection for ${a.ms} ms (request timeout ${requestTimeoutMs} ms), and still did`);
  if (!a.statuses.length && !c.expect.includes(null)) violate(`${c.class}: closed without an answer`);
  for (const s of a.statuses) {
    if (s >= 500) violate(`${c.class}: answered ${s}: ${a.text.slice(0, 300)}`);
    else if (!c.expect.includes(s)) violate(`${c.class}: answered ${s}, expected ${c.expect.join(' or ')}: ${a.text.slice(0, 300)}`);
  }
  if (a.trailing) violate(`${c.class}: wrote what is not an HTTP/1.1 answer with a Content-Length: ${a.trailing.slice(0, 200)}`);
  if (c.exactly && !inOrder(a.statuses, c.exactly)) violate(`${c.class}: answered ${a.statuses.join('+') || 'nothing'}, expected ${c.exactly.join(' then ')}`);
  // Each answer as its protocol answers, or, for HTTP broken before any route read the request (its
  // framing, its headers, its time), as LogFlow answers: JSON with an error code and a message.
  const read = c.reader ?? logflowAnswer;
  for (const r of a.responses) {
    const answered = { status: r.status, contentType: /(?:^|\r\n)content-type: *([^\r\n]*)/.exec(r.headers)?.[1], text: r.body.toString('utf8') };
    const problems = read(answered, undefined).problems;
    if (problems.length && (r.status < 400 || logflowAnswer(answered, undefined).problems.length)) for (const p of problems) violate(`${c.class}: ${p}`);
  }
}

/**
 * Pipelined answers in the order asked for. A request pipelined behind another is timed from when it
 * was sent, so behind a slow first answer on a loaded machine it may meet the request timeout: a 408
 * that closes the connection is a fair answer to any request after the first.
 */
function inOrder(seen: number[], wanted: number[]): boolean {
  if (seen.length && seen.at(-1) === 408 && seen.length > 1 && seen.length <= wanted.length) return seen.slice(0, -1).every((s, i) => s === wanted[i]);
  return seen.join('+') === wanted.join('+');
}
