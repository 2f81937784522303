import type { ErrorAnswer } from '../../shared/http.ts';

// The page's calls to its own server. The API key goes in the X-API-Key header of every request and
// nowhere else: never in a URL, where it would land in access logs, history and Referer headers.

const KEY_ITEM = 'logflow.api-key';

/** The key is kept for this tab only (sessionStorage): closing the tab forgets it. */
export const apiKey = {
  get: (): string | null => sessionStorage.getItem(KEY_ITEM),
  set: (key: string) => sessionStorage.setItem(KEY_ITEM, key),
  forget: () => sessionStorage.removeItem(KEY_ITEM),
};

/** A refusal or failure of the server, with its status and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Whether the same request may pass later (the server or a store is down), rather than never as sent. */
  get transient(): boolean {
    return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const key = apiKey.get();
  if (!key) throw new ApiError(401, 'no API key yet');
  return { accept: 'application/json', 'x-api-key': key, ...extra };
}

async function send(path: string, params: URLSearchParams, init: RequestInit): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(`${path}?${params}`, { ...init, credentials: 'omit', cache: 'no-store' });
  } catch (err) {
    if (init.signal?.aborted) throw err;
    throw new ApiError(0, 'the LogFlow server did not answer: is it running?');
  }
  if (res.ok) return res;
  const text = await res.text().catch(() => '');
  let message = text.slice(0, 300) || res.statusText;
  try {
    const body = JSON.parse(text) as Partial<ErrorAnswer>;
    if (typeof body.message === 'string') message = body.message;
  } catch {
    // not JSON: a proxy's page, say; its first words are the message
  }
  throw new ApiError(res.status, message);
}

export async function getJson<T>(path: string, params: URLSearchParams, signal: AbortSignal): Promise<T> {
  const res = await send(path, params, { headers: headers(), signal });
  return (await res.json()) as T;
}

/** GET /tail: the open stream, or an ApiError. Last-Event-ID resumes after the last event received. */
export function openTail(params: URLSearchParams, lastEventId: string | undefined, signal: AbortSignal): Promise<Response> {
  const extra: Record<string, string> = { accept: 'text/event-stream' };
  if (lastEventId) extra['last-event-id'] = lastEventId;
  return send('/tail', params, { headers: headers(extra), signal });
}
