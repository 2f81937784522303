// HTTP itself, broken: every endpoint's well-formed request (Endpoint.valid) written on a socket of its
// own with its framing wrong (a Content-Length that lies, a body cut short, chunked encoding gone
// wrong, headers that are not headers) or sent too slowly (slowloris). The server must answer JSON (or
// close), never 5xx, and let go of the connection within its request timeout.
import type net from 'node:net';
import type { CaseContext, Endpoint, HostileClass, HttpCase, RawCase } from './types.ts';

const CRLF = '\r\n';

function head(c: HttpCase, framing: string[]): string {
  const lines = [`${c.method} ${c.path} HTTP/1.1`, 'host: hostile', ...Object.entries(c.headers).map(([k, v]) => `${k}: ${v}`), ...framing];
  return lines.join(CRLF) + CRLF + CRLF;
}

/** The request's body, or a small one for requests that have none (GET). */
const bodyOf = (c: HttpCase) => c.body ?? Buffer.from('{}');

/** Writes `data` a few bytes at a time, `everyMs` apart, until it is written or the socket closes. */
function trickle(socket: net.Socket, data: Buffer, everyMs: number, bytes = 1): void {
  let at = 0;
  const timer = setInterval(() => {
    if (!socket.writable || at >= data.length) return clearInterval(timer);
    socket.write(data.subarray(at, (at += bytes)));
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
}

function raw(className: string, expect: (number | null)[], write: (socket: net.Socket) => void, maybe?: string[]): RawCase {
  return { kind: 'raw', class: className, expect, write, maybe };
}

/** A GET route answers without reading a body at all: whatever is wrong with the body comes after a 200. */
function withEarlyAnswer(c: HttpCase, rc: RawCase): RawCase {
  return c.method === 'GET' && !rc.expect.includes(200) ? { ...rc, expect: [200, ...rc.expect] } : rc;
}

/** Framing classes for one endpoint: each takes the endpoint's well-formed request and breaks it. */
function framingOf(endpoint: Endpoint): HostileClass[] {
  const valid = (ctx: CaseContext) => endpoint.valid(ctx);
  const markersOf = (c: HttpCase) => (c.markers ?? []).filter((m): m is string => m !== null);
  const cls = (name: string, weight: number, make: (ctx: CaseContext, c: HttpCase) => RawCase): HostileClass => ({
    name: `${name} (${endpoint.name})`,
    weight,
    make: (ctx) => {
      const c = valid(ctx);
      return { ...withEarlyAnswer(c, make(ctx, c)), class: `${name} (${endpoint.name})`, reader: endpoint.reader };
    },
  });
  return [
    cls('truncated body', 2, (ctx, c) => {
      const body = bodyOf(c);
      return raw('truncated body', [null, 400], (s) => s.end(Buffer.concat([Buffer.from(head(c, [`content-length: ${body.length}`])), body.subarray(0, ctx.rng.int(0, body.length - 1))])));
    }),
    cls('Content-Length shorter than the body', 2, (ctx, c) => {
      // What the length covers is a request (its whole lines may be taken); the rest is not HTTP.
      // What follows the length is more than blank lines (those the server reads as an idle keep-alive connection, rightly held open).
      const body = bodyOf(c);
      const lastInk = body.toString('latin1').trimEnd().length - 1;
      const n = ctx.rng.int(1, Math.max(1, lastInk));
      // 408 too: a server on a saturated machine may not have read it within its request timeout (seen once in 10,000).
      return raw('Content-Length shorter than the body', [endpoint.ok, 400, 408], (s) => s.write(Buffer.concat([Buffer.from(head(c, [`content-length: ${n}`])), body])), markersOf(c));
    }),
    cls('Content-Length longer than the body', 1, (ctx, c) => {
      const body = bodyOf(c);
      return raw('Content-Length longer than the body', [408], (s) => s.write(Buffer.concat([Buffer.from(head(c, [`content-length: ${body.length + ctx.rng.int(1, 1000)}`])), body])));
    }),
    cls('Content-Length and chunked together', 1, (_ctx, c) => {
      const body = bodyOf(c);
      return raw('Content-Length and chunked together', [400], (s) => s.write(`${head(c, [`content-length: ${body.length}`, 'transfer-encoding: chunked'])}${body.length.toString(16)}${CRLF}${body}${CRLF}0${CRLF}${CRLF}`));
    }),
    cls('two different Content-Lengths', 1, (_ctx, c) => {
      const body = bodyOf(c);
      return raw('two different Content-Lengths', [400], (s) => s.write(Buffer.concat([Buffer.from(head(c, [`content-length: ${body.length}`, `content-length: ${body.length + 5}`])), body])));
    }),
    cls('broken chunked encoding', 3, (ctx, c) => {
      const body = bodyOf(c).toString('latin1');
      const chunked = head(c, ['transfer-encoding: chunked']);
      const [wire, expect] = ctx.rng.pick<[string, (number | null)[]]>([
        [`${chunked}zz${CRLF}${body}${CRLF}0${CRLF}${CRLF}`, [400]],
        [`${chunked}5${CRLF}${body}${CRLF}0${CRLF}${CRLF}`, [400]],
        [`${chunked}${body.length.toString(16)};${'e'.repeat(20_000)}${CRLF}${body}${CRLF}0${CRLF}${CRLF}`, [400]],
        [`${chunked}${(body.length + 100).toString(16)}${CRLF}${body}`, [408]],
        [`${chunked}${body.length.toString(16)}${CRLF}${body}${CRLF}`, [408]],
        [`${chunked}-1${CRLF}${body}${CRLF}0${CRLF}${CRLF}`, [400]],
        [`${chunked}ffffffffffffffffff${CRLF}${body}`, [400]],
        [`${chunked}${body.length.toString(16)}${CRLF}${body}0${CRLF}${CRLF}`, [400]],
      ]);
      return raw('broken chunked encoding', expect, (s) => s.write(Buffer.from(wire, 'latin1')));
    }),
    cls('headers that are not headers', 3, (ctx, c) => {
      const body = bodyOf(c);
      const [text, expect] = ctx.rng.pick<[string, (number | null)[]]>([
        [head(c, [`content-length: ${body.length}`, `x-big: ${'h'.repeat(20_000)}`]), [431]],
        [head(c, [`content-length: ${body.length}`, 'bad header: x']), [400]],
        [head(c, [`content-length: ${body.length}`, 'no-colon']), [400]],
        [head(c, [`content-length: ${body.length}`, 'x-folded: a', ' continued']), [400]],
        [head(c, [`content-length: ${body.length}`, 'x-nul: a\u0000b']), [400]],
        [`GARBAGE${CRLF}${CRLF}`, [400]],
        [`${c.method} ${c.path} HTTP/9.9${CRLF}content-length: ${body.length}${CRLF}${CRLF}`, [400]],
        ['\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003', [400, null]],
        [`PRI * HTTP/2.0${CRLF}${CRLF}SM${CRLF}${CRLF}`, [400]],
        [`${c.method} ${'/x'.repeat(10_000)} HTTP/1.1${CRLF}${CRLF}`, [431]],
        [`${CRLF}${CRLF}${CRLF}`, [400, 408, null]],
        [`${c.method} http://[ HTTP/1.1${CRLF}host: x${CRLF}content-length: ${body.length}${CRLF}${CRLF}`, [400]],
        [`${c.method} * HTTP/1.1${CRLF}host: x${CRLF}content-length: ${body.length}${CRLF}${CRLF}`, [400, 404]],
      ]);
      return raw('headers that are not headers', expect, (s) => s.write(Buffer.concat([Buffer.from(text, 'latin1'), body])));
    }),
    cls('pipelined requests, a refusal between', 2, (_ctx, c) => {
      // A refused request and a good one in one write: the refusal must not cost the next one (a 408
      // that closes the connection is let pass for it: raw.ts, inOrder).
      const body = bodyOf(c);
      const refused = head({ ...c, headers: { ...c.headers, 'x-api-key': 'lf_wrong', authorization: 'Bearer lf_wrong' } }, [`content-length: ${body.length}`]);
      const rc = raw('pipelined requests, a refusal between', [401, endpoint.ok, 408], (s) => s.write(Buffer.concat([Buffer.from(refused), body, Buffer.from(head(c, [`content-length: ${body.length}`, 'connection: close'])), body])), markersOf(c));
      return { ...rc, exactly: [401, endpoint.ok] };
    }),
    cls('slow headers (slowloris)', 1, (_ctx, c) => raw('slow headers (slowloris)', [408], (s) => trickle(s, Buffer.from(head(c, ['content-length: 2']) + '{}'), 250))),
    cls('slow body', 1, (_ctx, c) => {
      const body = bodyOf(c);
      return raw('slow body', [408], (s) => {
        s.write(head(c, [`content-length: ${body.length + 10_000}`]));
        trickle(s, Buffer.concat([body, Buffer.alloc(10_000, 0x20)]), 250, 4);
      });
    }),
    cls('idle connection', 1, () => raw('idle connection', [null, 408], () => {})),
  ];
}

/**
 * Every endpoint's request broken in every way; HTTP breaks the same whatever the route, so together
 * they get the share two endpoints had: more endpoints do not make a run mostly slow sockets.
 */
export function framingClasses(endpoints: Endpoint[]): HostileClass[] {
  const share = 2 / endpoints.length;
  return endpoints.flatMap(framingOf).map((c) => ({ ...c, weight: c.weight * share }));
}
