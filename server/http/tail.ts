import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LogEvent } from '../../shared/event.ts';
import { TAIL_EVENT, type TailMissed, type TailReady } from '../../shared/http.ts';
import { compileQuery } from '../../shared/query/evaluate.ts';
import type { QueryScope } from '../../shared/query/search.ts';
import { isPosition } from '../queue/stream-id.ts';
import type { TailHub } from '../tail/hub.ts';

/** Bytes waiting for a slow reader beyond which its events are counted as missed rather than held. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
const HEARTBEAT_MS = 15_000;

/**
 * GET /tail as Server-Sent Events: every new matching event of the project, once each, in stream
 * order. A reader that cannot keep up is never held in memory without bound: what does not fit is
 * counted and the reader is told (`missed`) as soon as it has room again. A reconnect with
 * Last-Event-ID goes on after that entry.
 */
export async function serveTail(req: IncomingMessage, res: ServerResponse, hub: TailHub, scope: QueryScope): Promise<void> {
  const matches = compileQuery(scope.query);
  const lastEventId = req.headers['last-event-id'];
  const after = typeof lastEventId === 'string' && isPosition(lastEventId.trim()) ? lastEventId.trim() : undefined;
  let missed = 0;
  const send = (event: string, data: unknown, id?: string) => {
    if (!res.headersSent) {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
      });
      // A client that reconnects waits 2 s, not its default 3.
      res.write('retry: 2000\n\n');
    }
    res.write(`${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const tellMissed = (count: number | null, reason: string) => send(TAIL_EVENT.missed, { missed: count, reason } satisfies TailMissed);
  const flushMissed = () => {
    if (missed && res.writableLength < MAX_BUFFERED_BYTES) {
      tellMissed(missed, `this reader did not keep up: ${missed} matching events were dropped for it (search for them)`);
      missed = 0;
    }
  };
  res.on('drain', flushMissed);
  const { from, stop } = await hub.subscribe({
    projectId: scope.projectId,
    matches,
    after,
    deliver(id: string, event: LogEvent) {
      if (res.writableLength >= MAX_BUFFERED_BYTES) {
        missed += 1;
        return;
      }
      flushMissed();
      send(TAIL_EVENT.log, event, id);
    },
    missed: tellMissed,
  });
  send(TAIL_EVENT.ready, { from_id: from } satisfies TailReady);
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  await new Promise<void>((resolve) => {
    const end = () => {
      clearInterval(heartbeat);
      stop();
      resolve();
    };
    res.once('close', end);
    req.once('close', end);
  });
}
