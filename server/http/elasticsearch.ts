// LogFlow as Elasticsearch, for the agents that ship to it (Filebeat, Logstash, Vector's
// `elasticsearch` sink, Fluent Bit's `es` output, the Elasticsearch clients' bulk helpers):
// `POST /_bulk` and `POST /{index}/_bulk` (elasticsearch-bulk.ts), and the few calls they make before
// they send, answered as Elasticsearch 8 answers them: `GET`/`HEAD /` (the version they read), the
// license and feature probes, cluster health, and index template, ILM policy and ingest pipeline
// calls (acknowledged; LogFlow keeps its own mapping). Every answer carries `X-Elastic-Product:
// Elasticsearch`, which the Elasticsearch 8 clients require. Each call needs a valid key, as
// Elasticsearch with security does, so a wrong key shows when the agent starts, not at its first send.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LogFlowError } from '../../shared/errors.ts';
import { readBody } from './body.ts';
import { bulkAnswer, readBulk } from './elasticsearch-bulk.ts';
import { requestDefaults } from './logs.ts';
import type { ProtocolContext, ProtocolRoute } from './protocol.ts';
import { errorStatus, sendJson } from './respond.ts';

/** The version LogFlow answers as: agents pick their request format by its major (8: no mapping types). */
export const ELASTICSEARCH_VERSION = '8.17.0';
const PRODUCT = { 'x-elastic-product': 'Elasticsearch' };
const BULK = /^\/(?:([^/]+)\/)?_bulk$/;
const BUILD = { hash: 'logflow', date: '2026-01-01T00:00:00.000Z' };

/**
 * Whether a request to `/` comes from an Elasticsearch client rather than a browser: a browser asks
 * for text/html, no agent or client does (they send application/json, a vnd.elasticsearch type, or
 * nothing). The search page answers the browsers' GET / (app.ts tries this route first).
 */
export function isElasticsearchProbe(req: IncomingMessage): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && !/text\/html/i.test(req.headers.accept ?? '');
}

export const elasticsearchRoute: ProtocolRoute = {
  name: 'elasticsearch',
  matches(req, url) {
    if (url.pathname === '/') return isElasticsearchProbe(req);
    return url.pathname.startsWith('/_') || BULK.test(url.pathname);
  },
  handle,
  sendError(req, res, err) {
    const { e, status, headers } = errorStatus(err);
    const type = ERROR_TYPE[status] ?? 'exception';
    if (status === 401) headers['www-authenticate'] = 'Basic realm="logflow", ApiKey';
    send(req, res, status, { error: { root_cause: [{ type, reason: e.message }], type, reason: e.message }, status }, headers);
  },
};

/** Elasticsearch's error type for each status we answer. */
const ERROR_TYPE: Record<number, string> = {
  400: 'illegal_argument_exception', 401: 'security_exception', 404: 'resource_not_found_exception', 405: 'illegal_argument_exception',
  413: 'content_too_long_exception', 415: 'media_type_header_exception', 429: 'es_rejected_execution_exception', 503: 'unavailable_shards_exception',
};

async function handle(req: IncomingMessage, res: ServerResponse, url: URL, ctx: ProtocolContext): Promise<void> {
  const project = await ctx.authenticate(req);
  const bulk = BULK.exec(url.pathname);
  if (bulk) {
    if (req.method !== 'POST' && req.method !== 'PUT') throw notAllowed(req, url);
    const started = performance.now();
    const defaults = requestDefaults(req, url);
    const request = readBulk((await readBody(req, ctx.maxBodyBytes)).toString('utf8'), bulk[1] === undefined ? undefined : indexName(bulk[1]));
    const result = await ctx.ingest.ingest(project.id, request.records, defaults);
    const text = bulkAnswer(request, result.outcomes, Math.round(performance.now() - started));
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...PRODUCT });
    return void res.end(text);
  }
  const answer = probeAnswer(req.method ?? 'GET', url.pathname);
  if (answer === undefined) throw new LogFlowError('BAD_REQUEST', `LogFlow answers Elasticsearch's _bulk API and the calls agents make before it, not ${req.method} ${url.pathname}: send logs with POST /_bulk`);
  send(req, res, answer.status, answer.body);
}

/** The calls agents make before they send, as Elasticsearch answers them; undefined for any other. */
function probeAnswer(method: string, path: string): { status: number; body: unknown } | undefined {
  const read = method === 'GET' || method === 'HEAD';
  const write = method === 'PUT' || method === 'POST';
  if (path === '/' && read) return { status: 200, body: rootInfo() };
  if (path === '/_license' && read) return { status: 200, body: { license: { status: 'active', uid: 'logflow', type: 'basic', issue_date: BUILD.date, issue_date_in_millis: Date.parse(BUILD.date), max_nodes: 1000, issued_to: 'logflow', issuer: 'logflow', start_date_in_millis: -1 } } };
  if (path === '/_xpack' && read) return { status: 200, body: { build: BUILD, license: { uid: 'logflow', type: 'basic', mode: 'basic', status: 'active' }, features: { ilm: { available: true, enabled: true } } } };
  if (path === '/_cluster/health' && read) return { status: 200, body: clusterHealth() };
  // Templates, policies, pipelines: LogFlow has its own mapping and retention, so none exists and each
  // one sent is acknowledged (an agent that looks again next start sends it again, harmlessly).
  if (/^\/(?:_index_template|_template|_component_template|_ilm\/policy|_ingest\/pipeline)\/[^/]+$/.test(path)) {
    if (read) return { status: 404, body: { error: { root_cause: [{ type: 'resource_not_found_exception', reason: `${path.slice(1)} is not kept by LogFlow` }], type: 'resource_not_found_exception', reason: `${path.slice(1)} is not kept by LogFlow` }, status: 404 } };
    if (write) return { status: 200, body: { acknowledged: true } };
  }
  // An alias (Logstash's ILM rollover alias) is said to exist, so the agent writes to its name.
  if (/^\/_alias\/[^/]+$/.test(path) && read) return { status: 200, body: {} };
  return undefined;
}

function rootInfo(): unknown {
  return {
    name: 'logflow',
    cluster_name: 'logflow',
    cluster_uuid: 'logflow',
    version: { number: ELASTICSEARCH_VERSION, build_flavor: 'default', build_type: 'tar', build_hash: BUILD.hash, build_date: BUILD.date, build_snapshot: false, lucene_version: '9.12.0', minimum_wire_compatibility_version: '7.17.0', minimum_index_compatibility_version: '7.0.0' },
    tagline: 'You Know, for Search',
  };
}

function clusterHealth(): unknown {
  return {
    cluster_name: 'logflow', status: 'green', timed_out: false, number_of_nodes: 1, number_of_data_nodes: 1, active_primary_shards: 0, active_shards: 0, relocating_shards: 0,
    initializing_shards: 0, unassigned_shards: 0, delayed_unassigned_shards: 0, number_of_pending_tasks: 0, number_of_in_flight_fetch: 0, task_max_waiting_in_queue_millis: 0, active_shards_percent_as_number: 100,
  };
}

/** The `{index}` of `/{index}/_bulk`, as written when it is no valid percent-encoding. */
function indexName(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function notAllowed(req: IncomingMessage, url: URL): LogFlowError {
  return new LogFlowError('METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${url.pathname}: send bulk requests with POST (or PUT)`);
}

function send(req: IncomingMessage, res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (req.method !== 'HEAD') return sendJson(res, status, body, { ...PRODUCT, ...headers });
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...PRODUCT, ...headers });
  res.end();
}
