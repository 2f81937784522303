import type { ServerResponse } from 'node:http';
import { LogFlowError, type ErrorCode } from '../../shared/errors.ts';

const STATUS: Partial<Record<ErrorCode, number>> = {
  UNAUTHORIZED: 401,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  BAD_REQUEST: 400,
  EVENT_INVALID: 400,
  USAGE: 400,
  BACKPRESSURE: 429,
  QUEUE_UNAVAILABLE: 503,
  STORE_UNAVAILABLE: 503,
};

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Every error is JSON: a stable code and a message a person can act on; 429/503 say when to come back. */
export function sendError(res: ServerResponse, err: unknown, extra: Record<string, unknown> = {}): void {
  const e = err instanceof LogFlowError ? err : new LogFlowError('SERVER_ERROR', 'the server failed unexpectedly; the events were not accepted, send them again');
  const status = STATUS[e.code] ?? 500;
  const headers: Record<string, string> = {};
  if (status === 429 || status === 503) headers['retry-after'] = String(e.retryAfterSeconds ?? 2);
  if (status === 413) headers.connection = 'close';
  sendJson(res, status, { error: e.code.toLowerCase(), message: e.message, ...extra }, headers);
}
