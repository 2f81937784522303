import type { ServerResponse } from 'node:http';
import { LogFlowError } from '../../shared/errors.ts';
import { statusOf, type ErrorAnswer } from '../../shared/http.ts';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  // Set one by one rather than passed to writeHead, so they can still be read once sent (getHeader: connection.ts reads `connection`).
  for (const [name, value] of Object.entries({ 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), ...headers })) res.setHeader(name, value);
  res.writeHead(status);
  res.end(text);
}

/** Every error is JSON: a stable code and a message a person can act on; 429/503 say when to come back. */
export function sendError(res: ServerResponse, err: unknown, extra: Pick<ErrorAnswer, 'accepted' | 'rejected'> = {}, moreHeaders: Record<string, string> = {}): void {
  const { e, status, headers } = errorStatus(err);
  const body: ErrorAnswer = { error: e.code.toLowerCase(), message: e.message, ...extra };
  sendJson(res, status, body, { ...moreHeaders, ...headers });
}

/** An error's status and the headers that go with it (Retry-After on 429 and 503), for every protocol's answer alike. */
export function errorStatus(err: unknown): { e: LogFlowError; status: number; headers: Record<string, string> } {
  const e = err instanceof LogFlowError ? err : new LogFlowError('SERVER_ERROR', 'the server failed unexpectedly (its log says why); the request did nothing: send it again');
  const status = statusOf(e.code);
  const headers: Record<string, string> = {};
  if (status === 429 || status === 503) headers['retry-after'] = String(e.retryAfterSeconds ?? 2);
  if (status === 413) headers.connection = 'close';
  return { e, status, headers };
}
