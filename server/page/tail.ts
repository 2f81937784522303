import { createParser } from 'eventsource-parser';
import { backoffDelay, sleep } from '../../shared/backoff.ts';
import type { LogEvent } from '../../shared/event.ts';
import { TAIL_EVENT, type TailMissed } from '../../shared/http.ts';
import { ApiError, openTail } from './api.ts';

// Live mode reads GET /tail's Server-Sent Events with fetch and a stream reader, not EventSource:
// EventSource cannot send a header, and the key must not go in the URL. What EventSource would do is
// done here: reconnect after the server's `retry:` delay (longer, with jitter, while it keeps failing)
// and send Last-Event-ID, so the server goes on after the last event this page received.

export interface TailHandlers {
  onEvent(event: LogEvent): void;
  onMissed(missed: TailMissed): void;
  /** live: following; reconnecting: the connection was lost and is being opened again (with why). */
  onStatus(status: 'connecting' | 'live' | 'reconnecting', detail?: string): void;
  /** The server refused the tail in a way that will not pass by trying again (a bad key or query). */
  onFatal(err: ApiError): void;
}

export interface Tail {
  stop(): void;
}

export function followTail(params: URLSearchParams, on: TailHandlers): Tail {
  const abort = new AbortController();
  void run(params, on, abort.signal);
  return { stop: () => abort.abort() };
}

async function run(params: URLSearchParams, on: TailHandlers, signal: AbortSignal): Promise<void> {
  let lastId: string | undefined;
  let retryMs = 2000;
  let failures = 0;
  on.onStatus('connecting');
  while (!signal.aborted) {
    let reason = 'the server ended the stream';
    try {
      const res = await openTail(params, lastId, signal);
      const parser = createParser({
        onRetry: (ms) => (retryMs = ms),
        onEvent(message) {
          if (message.event === TAIL_EVENT.log) {
            if (message.id) lastId = message.id;
            on.onEvent(JSON.parse(message.data) as LogEvent);
          } else if (message.event === TAIL_EVENT.missed) {
            on.onMissed(JSON.parse(message.data) as TailMissed);
          } else if (message.event === TAIL_EVENT.ready) {
            failures = 0;
            on.onStatus('live');
          }
        },
      });
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(value);
      }
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ApiError && !err.transient) return on.onFatal(err);
      reason = err instanceof Error ? err.message : String(err);
    }
    if (signal.aborted) return;
    on.onStatus('reconnecting', reason);
    await sleep(retryMs + backoffDelay(failures++, 500, 10_000), signal).catch(() => {});
  }
}
