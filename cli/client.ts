import http from 'node:http';
import https from 'node:https';
import { ConfigError, LogFlowError } from '../shared/errors.ts';
import { errorOfAnswer, refusedInReply, type ErrorAnswer, type FieldsAnswer, type HistogramAnswer, type IngestAnswer, type SearchAnswer } from '../shared/http.ts';

/** How long a request may wait for the server's answer, or for the next bytes of it. */
const REQUEST_TIMEOUT_MS = 60_000;

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/**
 * The server's HTTP API for ship and search: keep-alive connections, errors mapped to ours.
 * Node's own http client rather than undici: undici parses HTTP in WebAssembly, and compiling it
 * took a sidecar's peak RSS from 44 MB to 99 MB for its first request.
 */
export class LogFlowClient {
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;

  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string | undefined,
    connections = 4,
  ) {
    if (!apiKey) throw new ConfigError('no API key: pass --api-key or set LOGFLOW_API_KEY (create one with `logflow projects create NAME`)');
    this.transport = new URL(baseUrl).protocol === 'https:' ? https : http;
    this.agent = new this.transport.Agent({ keepAlive: true, maxSockets: connections, timeout: REQUEST_TIMEOUT_MS });
  }

  /**
   * Sends a gzip-compressed NDJSON body of events. Transient errors are the caller's to retry; refused
   * events are a RefusedEventsError (with how many were stored), however the server said so.
   */
  async postLogs(gzippedNdjson: Buffer, signal?: AbortSignal): Promise<Partial<IngestAnswer>> {
    const reply = (await this.call('POST', '/logs', {
      body: gzippedNdjson,
      headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
      signal,
    })) as Partial<IngestAnswer>;
    const refused = refusedInReply(reply);
    if (refused) throw refused;
    return reply;
  }

  async search(params: URLSearchParams, signal?: AbortSignal): Promise<SearchAnswer> {
    return (await this.call('GET', `/search?${params}`, { signal })) as SearchAnswer;
  }

  async histogram(params: URLSearchParams, signal?: AbortSignal): Promise<HistogramAnswer> {
    return (await this.call('GET', `/search/histogram?${params}`, { signal })) as HistogramAnswer;
  }

  async fields(params: URLSearchParams, signal?: AbortSignal): Promise<FieldsAnswer> {
    return (await this.call('GET', `/search/fields?${params}`, { signal })) as FieldsAnswer;
  }

  /**
   * GET /tail as a stream of Server-Sent Events: resolves with the open answer once the server said
   * 200, and rejects as call() does otherwise. The answer has no time limit: it lasts while it follows.
   */
  openTail(params: URLSearchParams, lastEventId: string | undefined, signal: AbortSignal): Promise<http.IncomingMessage> {
    const url = new URL(`/tail?${params}`, this.baseUrl);
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { 'x-api-key': this.apiKey!, accept: 'text/event-stream' };
      if (lastEventId) headers['last-event-id'] = lastEventId;
      const req = this.transport.request(url, { method: 'GET', headers, signal }, (res) => {
        if (res.statusCode === 200) return resolve(res);
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: Partial<ErrorAnswer> | undefined;
          try {
            body = JSON.parse(text) as Partial<ErrorAnswer>;
          } catch {
            // not JSON: the status decides
          }
          const retryAfter = res.headers['retry-after'];
          reject(errorOfAnswer(res.statusCode ?? 0, body, text, typeof retryAfter === 'string' ? retryAfter : undefined));
        });
      });
      req.on('error', (err) => {
        if (signal.aborted) reject(new LogFlowError('ABORTED', 'stopped', { cause: err }));
        else reject(new LogFlowError('NETWORK', `cannot reach the LogFlow server at ${this.baseUrl}: ${err.message}`, { transient: true, cause: err }));
      });
      req.end();
    });
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }

  private async call(method: 'GET' | 'POST', path: string, o: { body?: Buffer; headers?: Record<string, string>; signal?: AbortSignal }): Promise<unknown> {
    let res: Reply;
    try {
      res = await this.exchange(method, new URL(path, this.baseUrl), o);
    } catch (err) {
      if (o.signal?.aborted) throw new LogFlowError('ABORTED', 'stopped', { cause: err });
      throw new LogFlowError('NETWORK', `cannot reach the LogFlow server at ${this.baseUrl}: ${(err as Error).message}`, { transient: true, cause: err });
    }
    const text = res.text;
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      // not JSON: a proxy's error page, say; the status decides
    }
    if (res.status >= 200 && res.status < 300) return json ?? {};
    const retryAfter = res.headers['retry-after'];
    throw errorOfAnswer(res.status, json !== null && typeof json === 'object' ? (json as Partial<ErrorAnswer>) : undefined, text, typeof retryAfter === 'string' ? retryAfter : undefined);
  }

  /** One request and its whole answer; rejects on a network error, a timeout or the signal. */
  private exchange(method: string, url: URL, o: { body?: Buffer; headers?: Record<string, string>; signal?: AbortSignal }): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { 'x-api-key': this.apiKey!, accept: 'application/json', ...o.headers };
      if (o.body) headers['content-length'] = o.body.length;
      const req = this.transport.request(url, { method, headers, agent: this.agent, signal: o.signal, timeout: REQUEST_TIMEOUT_MS }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
        res.on('close', () => res.complete || reject(new Error('the connection closed before the whole answer came')));
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
      req.on('error', reject);
      req.end(o.body);
    });
  }
}
