import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LogFlowError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { IngestAnswer, SearchAnswer } from '../../shared/http.ts';
import { encodeCursor } from '../../shared/query.ts';
import type { Project, ProjectStore } from '../auth/projects.ts';
import type { EventQueue } from '../queue/queue.ts';
import type { SearchBackend } from '../stores/types.ts';
import { parseIngest } from './ingest.ts';
import { sendError, sendJson } from './respond.ts';
import { parseSearchParams } from './search-params.ts';

export interface HttpAppOptions {
  projects: ProjectStore;
  queue: EventQueue;
  search: SearchBackend;
  log: Logger;
  maxBodyBytes: number;
  maxBacklog: number;
  /** Checks each dependency for GET /healthz; name → error message, or null when it answers. */
  health: () => Promise<Record<string, string | null>>;
}

/** The ingest and query routes. Stateless: run as many as you like behind a load balancer. */
export class HttpApp {
  private server?: Server;
  private backlog = { value: 0, at: 0 };
  private closing?: Promise<void>;

  constructor(private readonly o: HttpAppOptions) {}

  async listen(port: number, host: string): Promise<AddressInfo> {
    const server = createServer((req, res) => void this.route(req, res));
    server.keepAliveTimeout = 65_000; // longer than common load balancers' idle timeout
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return server.address() as AddressInfo;
  }

  /** Stops taking connections and waits for requests in flight. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
    return this.closing;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (url.pathname === '/logs' && req.method === 'POST') return await this.ingest(req, res);
      if (url.pathname === '/search' && req.method === 'GET') return await this.query(req, res, url);
      if (url.pathname === '/healthz' && req.method === 'GET') return await this.healthz(res);
      if (['/logs', '/search', '/healthz'].includes(url.pathname)) {
        return sendJson(res, 405, { error: 'method_not_allowed', message: `${req.method} is not allowed on ${url.pathname}` });
      }
      sendJson(res, 404, { error: 'not_found', message: `no route ${url.pathname}: use POST /logs, GET /search or GET /healthz` });
    } catch (err) {
      if (!(err instanceof LogFlowError) || err.code === 'SERVER_ERROR') this.o.log.error({ err, path: url.pathname }, 'request failed');
      else if (err.transient) this.o.log.warn({ err: err.message, path: url.pathname }, 'dependency unavailable');
      if (!res.headersSent) sendError(res, err);
      // Stop reading a body we refused, so a client streaming gigabytes does not keep us busy.
      if (!req.complete) req.destroy();
    }
  }

  private async authenticate(req: IncomingMessage): Promise<Project> {
    const key = req.headers['x-api-key'];
    if (typeof key !== 'string' || !key.trim()) throw new LogFlowError('UNAUTHORIZED', 'missing X-API-Key header: create a key with `logflow projects create NAME`');
    const project = await this.o.projects.authenticate(key.trim());
    if (!project) throw new LogFlowError('UNAUTHORIZED', 'the API key is not valid, or its project is not active');
    return project;
  }

  private async ingest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const project = await this.authenticate(req);
    const { events, rejected } = await parseIngest(req, project.id, this.o.maxBodyBytes);
    if (!events.length) {
      const first = rejected[0]!;
      return sendError(res, new LogFlowError('EVENT_INVALID', `no valid event in the request (event ${first.index}: ${first.reason})`), { rejected });
    }
    await this.checkBacklog();
    await this.o.queue.append(events);
    const answer: IngestAnswer = { accepted: events.length, rejected };
    sendJson(res, 202, answer);
  }

  /** Backpressure: past the high-water mark, clients are asked to come back rather than fill Redis. */
  private async checkBacklog(): Promise<void> {
    const now = Date.now();
    if (now - this.backlog.at > 1000) {
      try {
        this.backlog = { value: await this.o.queue.backlog(), at: now };
      } catch (err) {
        throw new LogFlowError('QUEUE_UNAVAILABLE', `Redis is unavailable: ${(err as Error).message}`, { transient: true, retryAfterSeconds: 2, cause: err });
      }
    }
    if (this.backlog.value >= this.o.maxBacklog) {
      throw new LogFlowError('BACKPRESSURE', `the ingest backlog is full (${this.backlog.value} events waiting for the stores): retry later`, { transient: true, retryAfterSeconds: 5 });
    }
  }

  private async query(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const project = await this.authenticate(req);
    const query = parseSearchParams(url.searchParams, project.id);
    const page = await this.o.search.search(query);
    const answer: SearchAnswer = { hits: page.hits, next_cursor: page.nextCursor ? encodeCursor(page.nextCursor) : null };
    sendJson(res, 200, answer);
  }

  private async healthz(res: ServerResponse): Promise<void> {
    const checks = await this.o.health();
    const ok = Object.values(checks).every((v) => v === null);
    sendJson(res, ok ? 200 : 503, { status: ok ? 'ok' : 'degraded', checks: Object.fromEntries(Object.entries(checks).map(([k, v]) => [k, v ?? 'ok'])) });
  }
}
