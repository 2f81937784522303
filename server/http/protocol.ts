// What a protocol's routes (OTLP/HTTP, Elasticsearch, Loki) are to the HTTP app: a thin decoder that
// finds its requests, reads them into records for the one ingest path, and answers, errors included,
// in the terms that protocol's clients read. app.ts only dispatches to them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Project } from '../auth/projects.ts';
import type { IngestPath } from '../ingest/ingest.ts';

/** What the app lends a protocol's route. */
export interface ProtocolContext {
  /** The project of the request's key; throws UNAUTHORIZED. */
  authenticate(req: IncomingMessage): Promise<Project>;
  ingest: IngestPath;
  maxBodyBytes: number;
}

export interface ProtocolRoute {
  /** Whether this route answers the request: its path (then it answers a wrong method itself), or for GET /, whose client it is. */
  matches(req: IncomingMessage, url: URL): boolean;
  handle(req: IncomingMessage, res: ServerResponse, url: URL, ctx: ProtocolContext): Promise<void>;
  /** Answers an error (a LogFlowError, or anything else as a server failure) the way the protocol's clients read one, Retry-After included. */
  sendError(req: IncomingMessage, res: ServerResponse, err: unknown): void;
}
