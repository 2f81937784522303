import { StringDecoder } from 'node:string_decoder';
import { createParser } from 'eventsource-parser';
import { backoffDelay, sleep } from '../../shared/backoff.ts';
import { errorMessage, LogFlowError } from '../../shared/errors.ts';
import type { LogEvent } from '../../shared/event.ts';
import { TAIL_EVENT, type TailMissed } from '../../shared/http.ts';
import type { LogFlowClient } from '../client.ts';

export interface FollowHandlers {
  /** The server follows: every matching event ingested from now on will come. */
  onReady(): void;
  onEvent(event: LogEvent): void;
  onMissed(missed: TailMissed): void;
  /** The connection was lost and is tried again. */
  onReconnect(reason: string): void;
}

/**
 * Follows GET /tail until `signal` aborts, as `tail -f` does: a dropped connection is opened again
 * with backoff, from the last event received (Last-Event-ID), so no event is skipped without the
 * server saying so. Refusals that will not pass (a bad key, a bad query) end it with their error.
 */
export async function follow(client: LogFlowClient, params: URLSearchParams, signal: AbortSignal, on: FollowHandlers): Promise<void> {
  let lastId: string | undefined;
  let attempt = 0;
  while (!signal.aborted) {
    try {
      const res = await client.openTail(params, lastId, signal);
      attempt = 0;
      const parser = createParser({
        onEvent(message) {
          if (message.event === TAIL_EVENT.log) {
            if (message.id) lastId = message.id;
            on.onEvent(JSON.parse(message.data) as LogEvent);
          } else if (message.event === TAIL_EVENT.missed) {
            on.onMissed(JSON.parse(message.data) as TailMissed);
          } else if (message.event === TAIL_EVENT.ready) {
            on.onReady();
          }
        },
      });
      const decoder = new StringDecoder('utf8');
      await new Promise<void>((resolve, reject) => {
        res.on('data', (chunk: Buffer) => parser.feed(decoder.write(chunk)));
        res.on('end', resolve);
        res.on('error', reject);
        res.on('close', resolve);
      });
      if (!signal.aborted) on.onReconnect('the server ended the stream');
    } catch (err) {
      if (signal.aborted) return;
      if (!(err instanceof LogFlowError) || !err.transient) throw err;
      on.onReconnect(errorMessage(err));
    }
    await sleep(backoffDelay(attempt++, 500, 5000), signal).catch(() => {});
  }
}
