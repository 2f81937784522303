// POST /loki/api/v1/push: Loki's push API, for Promtail, Alloy, Vector's `loki` sink, Fluent Bit's
// `loki` output and the Loki client libraries. protobuf (snappy-compressed, as Promtail and Alloy send
// it by default) or JSON (gzip or not), read by loki-push.ts, through the one ingest path, answered as
// Loki answers, in plain text:
// - 204 when every line is stored;
// - 400 naming each refused line when some were (the others are stored), as Loki itself answers a push
//   with invalid entries: Promtail, Alloy and Vector log it and drop the batch, which loses only lines
//   that could never be stored as sent, and a client that resends it anyway stores nothing twice;
// - 429 or 503 with Retry-After when nothing was taken: every Loki client retries those.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LogFlowError } from '../../shared/errors.ts';
import type { Rejection } from '../../shared/http.ts';
import { readBody } from './body.ts';
import { requestDefaults } from './logs.ts';
import { decodeLokiJson, decodeLokiProtobuf, type LokiPush } from './loki-push.ts';
import type { ProtocolContext, ProtocolRoute } from './protocol.ts';
import { errorStatus } from './respond.ts';

export const LOKI_PUSH_PATH = '/loki/api/v1/push';

export const lokiRoute: ProtocolRoute = {
  name: 'loki',
  matches: (_req, url) => url.pathname === LOKI_PUSH_PATH,
  handle,
  sendError(_req, res, err) {
    const { e, status, headers } = errorStatus(err);
    sendText(res, status, e.message, headers);
  },
};

async function handle(req: IncomingMessage, res: ServerResponse, url: URL, ctx: ProtocolContext): Promise<void> {
  if (req.method !== 'POST') throw new LogFlowError('METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${LOKI_PUSH_PATH}: Loki clients push with POST`);
  const project = await ctx.authenticate(req);
  const defaults = requestDefaults(req, url);
  // As Loki reads it: JSON when the request says so, snappy-compressed protobuf otherwise.
  const json = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase() === 'application/json';
  const body = await readBody(req, ctx.maxBodyBytes, { snappy: !json });
  const push = json ? decodeLokiJson(body.toString('utf8')) : decodeLokiProtobuf(body);
  if (push.records.length === 0) return sendText(res, 204, '');
  const { refused } = await ctx.ingest.ingest(project.id, push.records, defaults);
  if (refused.length === 0) return sendText(res, 204, '');
  sendText(res, 400, refusalMessage(push, refused));
}

/** Each refused line by its stream and place in it (the first ten), and how many others were stored. */
function refusalMessage(push: LokiPush, refused: Rejection[]): string {
  const where = (index: number) => {
    let s = 0;
    while (s + 1 < push.streams.length && push.streams[s + 1]!.first <= index) s++;
    const stream = push.streams[s];
    return stream === undefined ? `entry ${index}` : `entry ${index - stream.first} of stream ${stream.labels}`;
  };
  const lines = refused.slice(0, 10).map((r) => `${where(r.index)}: ${r.reason}`);
  if (refused.length > 10) lines.push(`and ${refused.length - 10} more`);
  const stored = push.records.length - refused.length;
  return `${refused.length} of ${push.records.length} entries were refused and will never be stored as sent; the other ${stored} are stored (sending the push again stores none twice):\n${lines.join('\n')}\n`;
}

function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  if (status === 204) {
    res.writeHead(204, headers);
    return void res.end();
  }
  const body = text.endsWith('\n') ? text : `${text}\n`;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}
