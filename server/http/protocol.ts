// What a protocol's routes (OTLP/HTTP, Elasticsearch, Loki) are to the HTTP app: a thin decoder that
// finds its requests, reads them into records for the one ingest path, and answers, errors included,
// in the terms that protocol's clients read. app.ts only dispatches to them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Project } from '../auth/projects.ts';
import type { Ingest } from '../ingest/ingest.ts';

/** What the app lends a protocol's route. */
export interface ProtocolContext {
  /** The project of the request's key; throws UNAUTHORIZED. */
  authenticate(req: IncomingMessage): Promise<Project>;
  ingest: Ingest;
  maxBodyBytes: number;
}

export interface ProtocolRoute {
  /** Its endpoint label in the metrics (otlp, loki, elasticsearch). */
  readonly name: string;
  /** Whether this route answers the request: its path (then it answers a wrong method itself), or for GET /, whose client it is. */
  matches(req: IncomingMessage, url: URL): boolean;
  handle(req: IncomingMessage, res: ServerResponse, url: URL, ctx: ProtocolContext): Promise<void>;
  /** Answers an error (a LogFlowError, or anything else as a server failure) the way the protocol's clients read one, Retry-After included. */
  sendError(req: IncomingMessage, res: ServerResponse, err: unknown): void;
}

/**
 * Sets a key of an object a decoder builds from what a client sent, `__proto__` too: assigned, that
 * one would set the object's prototype instead. (Objects without a prototype would need no care, but
 * V8 keeps them as slow dictionaries, and decoders build one or more per record.)
 */
export function setKey(o: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  else o[key] = value;
}
