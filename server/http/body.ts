import type { IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';
import { LogFlowError } from '../../shared/errors.ts';

/**
 * Reads a request body up to maxBytes after gzip is undone, so a small compressed bomb is caught
 * as early as a large plain body. Throws BODY_TOO_LARGE (413) or BAD_REQUEST (broken gzip).
 */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip') {
    throw new LogFlowError('UNSUPPORTED_MEDIA_TYPE', `Content-Encoding "${encoding}" is not supported: send the body plain or gzip-compressed`);
  }
  const source = encoding === 'gzip' ? req.pipe(createGunzip()) : req;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) {
        req.unpipe();
        throw tooLarge(maxBytes);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof LogFlowError) throw err;
    throw new LogFlowError('BAD_REQUEST', `the body could not be read${encoding === 'gzip' ? ' as gzip' : ''}: ${(err as Error).message}`);
  }
  return Buffer.concat(chunks, size);
}

function tooLarge(maxBytes: number): LogFlowError {
  return new LogFlowError('BODY_TOO_LARGE', `the body is larger than ${maxBytes} bytes (after decompression): send smaller batches`);
}

export type BodyFormat = 'json' | 'ndjson';

/** Which of our formats a Content-Type names; undefined when it is none of them. */
export function bodyFormat(contentType: string | undefined): BodyFormat | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json' || type === '') return 'json';
  if (type === 'application/x-ndjson' || type === 'application/ndjson' || type === 'application/jsonl' || type === 'application/x-jsonlines') return 'ndjson';
  return undefined;
}

/** One raw item per event; an item that is not even JSON carries the reason instead. */
export type RawItem = { value: unknown } | { error: string };

/**
 * A JSON body is one event or an array of events; an NDJSON body is one event per line (blank lines
 * skipped). A line that is not JSON costs only that line.
 */
export function splitEvents(body: string, format: BodyFormat): RawItem[] {
  if (format === 'json') {
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch (err) {
      throw new LogFlowError('BAD_REQUEST', `the body is not valid JSON (${(err as Error).message}); for one event per line send Content-Type: application/x-ndjson`);
    }
    return Array.isArray(value) ? value.map((v) => ({ value: v })) : [{ value }];
  }
  const items: RawItem[] = [];
  let line = 0;
  for (const text of body.split('\n')) {
    line++;
    if (!text.trim()) continue;
    try {
      items.push({ value: JSON.parse(text) });
    } catch {
      items.push({ error: `line ${line} is not valid JSON` });
    }
  }
  return items;
}
