import { Client, errors } from '@opensearch-project/opensearch';
import { LogFlowError } from '../../../shared/errors.ts';

export interface OpenSearchOptions {
  /** e.g. http://127.0.0.1:9200 */
  url: string;
  /** Prefix of every index and of the template, so several deployments or tests share one cluster. */
  namespace: string;
  /** Per request; a bulk that takes longer is given up and retried by the worker as a whole. */
  requestTimeoutMs?: number;
  /** Largest bulk request, in characters of NDJSON; a larger batch goes as several requests (default 8Mi). */
  maxBulkChars?: number;
}

export function createClient(opts: OpenSearchOptions): Client {
  return new Client({
    node: opts.url,
    requestTimeout: opts.requestTimeoutMs ?? 30_000,
    // The worker owns retrying, with backoff and Retry-After; a client retrying on its own would
    // multiply the wait and hide an outage from the worker.
    maxRetries: 0,
    // The client refuses, by default, any answer holding a `__proto__` key or a `constructor` with a
    // `prototype`: one log line with such metadata would make every search over it fail. We keep
    // JSON.parse's reading (own properties, no prototype touched) and never merge hits into objects.
    disablePrototypePoisoningProtection: true,
  });
}

/**
 * Whether doing the same request again later can succeed. 400 (the request is wrong) and 413 (the
 * body is too large) never will. Everything else is waited out: a 5xx or 429 passes, and an
 * auth or missing-node problem is fixed by an operator while the worker holds the batch.
 */
function isPermanentStatus(status: number): boolean {
  return status === 400 || status === 413;
}

/** Turns a client failure into our error, keeping the cause and OpenSearch's own reason. */
export function toStoreError(err: unknown, action: string): LogFlowError {
  if (err instanceof LogFlowError) return err;
  if (err instanceof errors.ResponseError) {
    const status = err.statusCode;
    const reason = describeBody(err.body) ?? err.message;
    if (isPermanentStatus(status)) {
      return new LogFlowError('STORE_REJECTED', `OpenSearch refused the ${action} (HTTP ${status}): ${reason}`, { cause: err });
    }
    return new LogFlowError('STORE_UNAVAILABLE', `OpenSearch answered the ${action} with HTTP ${status}: ${reason}; will retry`, {
      transient: true,
      cause: err,
      retryAfterSeconds: retryAfter(err.headers),
    });
  }
  // Connection refused, reset, timeouts, no living node, a proxy's non-JSON page: all may pass.
  const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new LogFlowError('STORE_UNAVAILABLE', `OpenSearch is not reachable for the ${action} (${what}); is it running?`, { transient: true, cause: err });
}

/** "<type>: <reason>" from an OpenSearch error object, as bulk items and error bodies carry it. */
export function describeError(error: unknown): string | undefined {
  if (error === null || typeof error !== 'object') return typeof error === 'string' ? error : undefined;
  const e = error as { type?: unknown; reason?: unknown; caused_by?: unknown };
  const head = [e.type, e.reason].filter((x) => typeof x === 'string').join(': ');
  const cause = describeError(e.caused_by);
  // mapper_parsing_exception only says "failed to parse field"; the cause says why.
  return cause ? `${head} (caused by ${cause})` : head || undefined;
}

function describeBody(body: unknown): string | undefined {
  if (body !== null && typeof body === 'object' && 'error' in body) return describeError(body.error);
  return typeof body === 'string' && body ? body.slice(0, 300) : undefined;
}

function retryAfter(headers: Record<string, unknown> | undefined): number | undefined {
  const v = Number(headers?.['retry-after']);
  return Number.isFinite(v) && v >= 0 ? v : undefined;
}
