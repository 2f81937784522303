// One base class with a stable code. `transient` says whether repeating the same operation later can
// succeed: a transient error is always retried, a permanent one never is.

export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'USAGE'
  | 'EVENT_INVALID'
  | 'UNAUTHORIZED'
  | 'BODY_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'BAD_REQUEST'
  | 'METHOD_NOT_ALLOWED'
  | 'QUEUE_UNAVAILABLE'
  | 'BACKPRESSURE'
  | 'RATE_LIMITED'
  | 'STORE_UNAVAILABLE'
  | 'STORE_REJECTED'
  | 'SEARCH_TIMEOUT'
  | 'SERVER_ERROR'
  | 'NETWORK'
  | 'ABORTED';

export class LogFlowError extends Error {
  readonly code: ErrorCode;
  readonly transient: boolean;
  /** Seconds the caller is asked to wait before trying again, when the other side said so. */
  readonly retryAfterSeconds?: number;

  constructor(code: ErrorCode, message: string, opts: { transient?: boolean; cause?: unknown; retryAfterSeconds?: number } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'LogFlowError';
    this.code = code;
    this.transient = opts.transient ?? false;
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }
}

/** Bad configuration or usage: the process exits 2 and names the setting. */
export class ConfigError extends LogFlowError {
  constructor(message: string) {
    super('CONFIG_INVALID', message);
    this.name = 'ConfigError';
  }
}

export function isTransient(err: unknown): boolean {
  return err instanceof LogFlowError ? err.transient : true;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
