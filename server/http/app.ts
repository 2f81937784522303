import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LogFlowError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Project } from '../auth/projects.ts';
import type { Ingest } from '../ingest/ingest.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { serveMetrics } from '../metrics/metrics-server.ts';
import type { SearchBackend } from '../stores/types.ts';
import { apiKeyOf, KEY_HINT } from './auth.ts';
import { answerClientError, connectionHeaders, settleConnection } from './connection.ts';
import { answerLogs, readLogsRequest } from './logs.ts';
import { isPageRequest, servePage } from './page.ts';
import { PROTOCOL_ROUTES } from './protocols.ts';
import type { ProtocolContext, ProtocolRoute } from './protocol.ts';
import { sendError, sendJson } from './respond.ts';
import type { TailHub } from '../tail/hub.ts';
import { fieldsAnswer, histogramAnswer, searchAnswer } from './search-routes.ts';
import { parseScope, TAIL_PARAMS } from './search-params.ts';
import { serveTail } from './tail.ts';

/** Which active project an API key belongs to (null: none); throws a transient error when it cannot tell. */
export interface KeyChecker {
  authenticate(key: string): Promise<Project | null>;
}

export interface HttpAppOptions {
  projects: KeyChecker;
  /** The one ingest path every protocol's decoder hands its records to. */
  ingest: Ingest;
  search: SearchBackend;
  /** Live tail (GET /tail); absent: the route answers 404. */
  tail?: TailHub;
  log: Logger;
  maxBodyBytes: number;
  /** How long a request (headers and body) may take to arrive before it is answered 408 and its connection closed. */
  requestTimeoutMs?: number;
  /** Checks each dependency for GET /healthz; name → error message, or null when it answers. */
  health: () => Promise<Record<string, string | null>>;
  /** Counts requests by endpoint and status, and serves GET /metrics; absent: neither. */
  metrics?: Metrics;
}

type SearchRoute = (backend: SearchBackend, params: URLSearchParams, projectId: number) => Promise<unknown>;
const SEARCH_ROUTES = new Map<string, SearchRoute>([
  ['/search', searchAnswer],
  ['/search/histogram', histogramAnswer],
  ['/search/fields', fieldsAnswer],
]);

/** The endpoint label of LogFlow's own routes in the metrics; a protocol's is its name, the page's `page`, anything else `other`. */
const ENDPOINTS = new Map([
  ['/logs', 'logs'],
  ['/search', 'search'],
  ['/search/histogram', 'histogram'],
  ['/search/fields', 'fields'],
  ['/tail', 'tail'],
  ['/healthz', 'healthz'],
  ['/metrics', 'metrics'],
]);

/** The ingest and query routes. Stateless: run as many as you like behind a load balancer. */
export class HttpApp {
  private server?: Server;
  private closing?: Promise<void>;
  /** Open live tails: they never end on their own, so close() ends them. */
  private readonly tails = new Set<ServerResponse>();

  /** What the protocols' decoders (OTLP, Elasticsearch, Loki) are lent. */
  private readonly protocol: ProtocolContext;

  constructor(private readonly o: HttpAppOptions) {
    this.protocol = { authenticate: (req) => this.authenticate(req), ingest: o.ingest, maxBodyBytes: o.maxBodyBytes };
  }

  async listen(port: number, host: string): Promise<AddressInfo> {
    const requestTimeout = this.o.requestTimeoutMs ?? 30_000;
    // A slow or stalled client (slowloris) holds a connection for requestTimeout at most; node checks
    // its connections every connectionsCheckingInterval, so that is kept well below it.
    const server = createServer({ requestTimeout, headersTimeout: requestTimeout, connectionsCheckingInterval: Math.min(1000, requestTimeout / 4) }, (req, res) => void this.route(req, res));
    server.keepAliveTimeout = 65_000; // longer than common load balancers' idle timeout
    server.on('clientError', answerClientError);
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
      this.o.tail?.close();
      for (const res of this.tails) res.end();
    });
    return this.closing;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url = new URL('http://localhost/');
    let protocol: ProtocolRoute | undefined;
    // Measured at the dispatch: which endpoint answered, with what status, how long it took.
    const seen = { endpoint: 'other' };
    if (this.o.metrics) this.measure(res, this.o.metrics, seen);
    try {
      url = targetOf(req);
      seen.endpoint = ENDPOINTS.get(url.pathname) ?? 'other';
      if (url.pathname === '/logs' && req.method === 'POST') return await this.logs(req, res, url);
      // OTLP, Elasticsearch and Loki, each answering in its own terms (protocols.ts). GET / is
      // Elasticsearch's only when the request is no browser's: the page is served after this line.
      protocol = PROTOCOL_ROUTES.find((p) => p.matches(req, url));
      if (protocol) {
        seen.endpoint = protocol.name;
        return await protocol.handle(req, res, url, this.protocol);
      }
      const searchRoute = req.method === 'GET' ? SEARCH_ROUTES.get(url.pathname) : undefined;
      if (searchRoute) return await this.query(req, res, url, searchRoute);
      if (url.pathname === '/tail' && req.method === 'GET' && this.o.tail) return await this.tail(req, res, url, this.o.tail);
      if (url.pathname === '/healthz' && req.method === 'GET') return await this.healthz(res);
      if (url.pathname === '/metrics' && req.method === 'GET' && this.o.metrics) return await serveMetrics(res, this.o.metrics);
      if (isPageRequest(req, url)) {
        seen.endpoint = 'page';
        return await servePage(req, res, url, this.o.log);
      }
      if (['/logs', '/healthz', '/tail', ...SEARCH_ROUTES.keys(), ...(this.o.metrics ? ['/metrics'] : [])].includes(url.pathname)) {
        return sendJson(res, 405, { error: 'method_not_allowed', message: `${req.method} is not allowed on ${url.pathname}` }, connectionHeaders(req));
      }
      seen.endpoint = 'other';
      sendJson(res, 404, { error: 'not_found', message: `no route ${url.pathname}: use POST /logs (or OTLP's POST /v1/logs, Elasticsearch's POST /_bulk, Loki's POST /loki/api/v1/push), GET /search, /search/histogram, /search/fields, /tail, /healthz or /metrics` }, connectionHeaders(req));
    } catch (err) {
      if (!(err instanceof LogFlowError) || err.code === 'SERVER_ERROR') this.o.log.error({ err, path: url.pathname }, 'request failed');
      else if (err.transient) this.o.log.warn({ err: err.message, path: url.pathname }, 'dependency unavailable');
      if (!res.headersSent && !res.destroyed) {
        if (protocol) {
          // Set first, so settleConnection reads it back whatever headers the protocol's answer adds.
          for (const [name, value] of Object.entries(connectionHeaders(req))) res.setHeader(name, value);
          protocol.sendError(req, res, err);
        } else sendError(res, err, {}, connectionHeaders(req));
      }
    } finally {
      // A body left unread (a refusal): read the small rest so the connection serves the next request, or close it gently.
      settleConnection(req, res);
    }
  }

  /** Counts the request once its answer is sent (or the client left first: `aborted`). */
  private measure(res: ServerResponse, m: Metrics, seen: { endpoint: string }): void {
    const end = m.httpDuration.startTimer();
    res.once('close', () => {
      m.httpRequests.inc({ endpoint: seen.endpoint, status: res.writableFinished ? String(res.statusCode) : 'aborted' });
      end({ endpoint: seen.endpoint });
    });
  }

  private async authenticate(req: IncomingMessage): Promise<Project> {
    const key = apiKeyOf(req);
    if (key === undefined) throw new LogFlowError('UNAUTHORIZED', `no API key: ${KEY_HINT}; create one with \`logflow projects create NAME\``);
    const project = await this.o.projects.authenticate(key);
    if (!project) throw new LogFlowError('UNAUTHORIZED', 'the API key is not valid, or its project is not active');
    return project;
  }

  /** POST /logs: LogFlow's own protocol, read forgivingly (logs.ts), through the one ingest path. */
  private async logs(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const project = await this.authenticate(req);
    const { records, defaults } = await readLogsRequest(req, url, this.o.maxBodyBytes);
    answerLogs(res, await this.o.ingest.ingest(project.id, records, defaults));
  }

  private async query(req: IncomingMessage, res: ServerResponse, url: URL, answer: SearchRoute): Promise<void> {
    const project = await this.authenticate(req);
    sendJson(res, 200, await answer(this.o.search, url.searchParams, project.id));
  }

  private async tail(req: IncomingMessage, res: ServerResponse, url: URL, hub: TailHub): Promise<void> {
    const project = await this.authenticate(req);
    const scope = parseScope(url.searchParams, project.id, TAIL_PARAMS);
    this.tails.add(res);
    try {
      await serveTail(req, res, hub, scope);
    } finally {
      this.tails.delete(res);
    }
  }

  private async healthz(res: ServerResponse): Promise<void> {
    const checks = await this.o.health();
    const ok = Object.values(checks).every((v) => v === null);
    sendJson(res, ok ? 200 : 503, { status: ok ? 'ok' : 'degraded', checks: Object.fromEntries(Object.entries(checks).map(([k, v]) => [k, v ?? 'ok'])) });
  }
}

/** The request's target as a URL; a 400 for one node accepts and URL cannot read (`http://[`). */
function targetOf(req: IncomingMessage): URL {
  try {
    return new URL(req.url ?? '/', 'http://localhost');
  } catch {
    throw new LogFlowError('BAD_REQUEST', `the request target ${JSON.stringify((req.url ?? '').slice(0, 100))} is not a path LogFlow reads: send a path such as /logs or /search?q=...`);
  }
}
