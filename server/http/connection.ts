// What becomes of a connection once the server has answered: HTTP/1.1 lets it carry the client's
// next request only after the rest of this request's body is read. A refusal (401, 413, 415, 400,
// 404 ...) is answered before the body is read, and a keep-alive client sends its next request on the
// same connection at once: that request must never fail because this one was refused (issue 8 item
// 6). And a client streaming gigabytes must not keep the server busy. So a small rest of a body is
// read and thrown away, keeping the connection; anything larger, or of unknown length, is answered
// with `Connection: close`, and the connection is then closed gently (the way nginx's lingering close
// does it, bounded in time and bytes), so the client reads the answer rather than a reset.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { statusOf } from '../../shared/http.ts';

/** The rest of a refused body up to this size is read and discarded; the connection stays open. */
export const DRAIN_MAX_BYTES = 1024 * 1024;
/** ... if it arrives within this time; otherwise the connection is closed. */
export const DRAIN_MAX_MS = 10_000;
/** After `Connection: close`, what the client still sends is read and discarded this long, or this much, at most; then the connection is cut. */
export const LINGER_MS = 2_000;
export const LINGER_MAX_BYTES = 4 * 1024 * 1024;

/** Extra headers for an answer about to be sent: `Connection: close` when the unread rest of the body is not worth reading. */
export function connectionHeaders(req: IncomingMessage): Record<string, string> {
  return drainable(req) ? {} : { connection: 'close' };
}

/**
 * Called once the handler is done with a request: when its body was not read to the end, reads the
 * rest and discards it (bounded in time) or, when the answer said `Connection: close`, closes the
 * connection once the answer is written.
 */
export function settleConnection(req: IncomingMessage, res: ServerResponse): void {
  if (req.complete || req.destroyed) return;
  if (String(res.getHeader('connection') ?? '').toLowerCase() === 'close') return lingerAfter(req, res);
  const timer = setTimeout(() => req.socket.destroy(), DRAIN_MAX_MS);
  const done = () => clearTimeout(timer);
  req.once('end', done);
  req.once('close', done);
  req.resume();
}

function drainable(req: IncomingMessage): boolean {
  if (req.complete) return true;
  // Chunked (or any transfer coding): there is no telling how much more will come.
  if (req.headers['transfer-encoding'] !== undefined) return false;
  const length = Number(req.headers['content-length'] ?? 0);
  return Number.isFinite(length) && length <= DRAIN_MAX_BYTES;
}

/**
 * Node ends a `Connection: close` socket when the answer is written and destroys it as soon as that
 * end is flushed; bytes the client is still sending then meet a closed socket, the kernel answers them
 * with a reset, and a reset can reach the client before it read the answer. So, as nginx does: keep
 * reading (and discarding) until the client closes its side too, for LINGER_MS and LINGER_MAX_BYTES at most.
 */
function lingerAfter(req: IncomingMessage, res: ServerResponse): void {
  const socket = req.socket;
  res.once('finish', () => {
    // Node's own `once('finish', destroy)` from socket.destroySoon(), registered just before this.
    socket.removeListener('finish', socket.destroy);
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    socket.once('close', () => clearTimeout(timer));
    socket.once('end', () => socket.destroy());
    if (socket.writableFinished) socket.destroySoon();
    let discarded = 0;
    req.on('data', (chunk: Buffer) => {
      if ((discarded += chunk.length) > LINGER_MAX_BYTES) socket.destroy();
    });
    req.resume();
  });
}

const CLIENT_ERRORS: Record<string, { status: number; error: string; message: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, error: 'headers_too_large', message: 'the request headers are too large (16 KiB at most): send fewer or shorter headers' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, error: 'request_timeout', message: 'the request did not arrive in time: send the whole request, headers and body, within the server\'s request timeout' },
};

/**
 * The answer to a request node could not read as HTTP (broken framing: a bad chunk, a Content-Length
 * that lies, a header too large) or that did not arrive in time: JSON with a message, as every answer
 * LogFlow writes, then the connection is closed (what follows on it cannot be told apart from the
 * broken request). Nothing is written when an answer to this connection's request has begun.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  const known = CLIENT_ERRORS[err.code ?? ''];
  if (socket.writable && !inFlight?.headersSent && err.code !== 'ECONNRESET') {
    const answer = known ?? { status: statusOf('BAD_REQUEST'), error: 'bad_request', message: `the request is not valid HTTP/1.1 (${err.code ?? err.message}): check its framing (Content-Length, chunked encoding) and headers` };
    const body = JSON.stringify({ error: answer.error, message: answer.message });
    // The handler of a request in flight may still try to answer: what it writes now goes nowhere.
    socket.on('error', () => {});
    socket.end(`HTTP/1.1 ${answer.status} ${REASON[answer.status] ?? 'Bad Request'}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    socket.once('close', () => clearTimeout(timer));
    socket.resume();
    return;
  }
  socket.destroy();
}

const REASON: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };
