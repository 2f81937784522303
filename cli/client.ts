import { Agent, request, type Dispatcher } from 'undici';
import { ConfigError, LogFlowError, type ErrorCode } from '../shared/errors.ts';
import type { LogEvent } from '../shared/event.ts';

export interface IngestReply {
  accepted: number;
  rejected: { index: number; reason: string }[];
}

export interface SearchReply {
  hits: LogEvent[];
  next_cursor: string | null;
}

const CODE_FOR_STATUS: Record<number, ErrorCode> = { 400: 'EVENT_INVALID', 401: 'UNAUTHORIZED', 413: 'BODY_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE', 429: 'BACKPRESSURE' };

/** The server's HTTP API for ship and search: keep-alive connections, errors mapped to ours. */
export class LogFlowClient {
  private readonly dispatcher: Dispatcher;

  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string | undefined,
    connections = 4,
  ) {
    if (!apiKey) throw new ConfigError('no API key: pass --api-key or set LOGFLOW_API_KEY (create one with `logflow projects create NAME`)');
    this.dispatcher = new Agent({ connections, keepAliveTimeout: 30_000, headersTimeout: 60_000, bodyTimeout: 60_000 });
  }

  /** Sends a gzip-compressed NDJSON body of events. Transient errors are the caller's to retry. */
  async postLogs(gzippedNdjson: Buffer, signal?: AbortSignal): Promise<IngestReply> {
    return (await this.call('POST', '/logs', {
      body: gzippedNdjson,
      headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
      signal,
    })) as IngestReply;
  }

  async search(params: URLSearchParams, signal?: AbortSignal): Promise<SearchReply> {
    return (await this.call('GET', `/search?${params}`, { signal })) as SearchReply;
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  private async call(method: 'GET' | 'POST', path: string, o: { body?: Buffer; headers?: Record<string, string>; signal?: AbortSignal }): Promise<unknown> {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(new URL(path, this.baseUrl), {
        method,
        body: o.body,
        headers: { 'x-api-key': this.apiKey!, accept: 'application/json', ...o.headers },
        signal: o.signal,
        dispatcher: this.dispatcher,
      });
    } catch (err) {
      if (o.signal?.aborted) throw new LogFlowError('ABORTED', 'stopped', { cause: err });
      throw new LogFlowError('NETWORK', `cannot reach the LogFlow server at ${this.baseUrl}: ${(err as Error).message}`, { transient: true, cause: err });
    }
    const text = await res.body.text().catch(() => '');
    let json: { message?: string; rejected?: unknown } & Record<string, unknown> = {};
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      // not JSON: a proxy's error page, say; the status decides
    }
    if (res.statusCode >= 200 && res.statusCode < 300) return json;
    const transient = res.statusCode === 429 || res.statusCode >= 500 || res.statusCode === 408;
    const retryAfter = Number(res.headers['retry-after']);
    throw Object.assign(
      new LogFlowError(CODE_FOR_STATUS[res.statusCode] ?? (transient ? 'SERVER_ERROR' : 'BAD_REQUEST'), `server answered ${res.statusCode}: ${json.message ?? (text.slice(0, 200) || 'no reason given')}`, {
        transient,
        retryAfterSeconds: Number.isFinite(retryAfter) ? retryAfter : undefined,
      }),
      { status: res.statusCode, rejected: json.rejected },
    );
  }
}
