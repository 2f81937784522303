import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip, inflate, inflateRaw } from 'node:zlib';
import { uncompress as unsnappy } from 'snappy';
import { LogFlowError } from '../../shared/errors.ts';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);
const inflateRawAsync = promisify(inflateRaw);

export interface BodyOptions {
  /** The body is one snappy block whatever Content-Encoding says (Loki's protobuf push: Promtail, Alloy). */
  snappy?: boolean;
}

/**
 * Reads a request body up to maxBytes, and undoes gzip or deflate on libuv's pool with the same limit
 * for what comes out, so a small compressed bomb is caught as early as a large plain body. gzip is told
 * by its first two bytes, also without Content-Encoding (some agents compress and do not say so; a
 * proxy may have undone it and left the header). A snappy block (Content-Encoding: snappy, or
 * `snappy` for a protocol that always sends one) names its length first: more than maxBytes is refused
 * before anything is decompressed. Throws BODY_TOO_LARGE (413), UNSUPPORTED_MEDIA_TYPE
 * (415) for an encoding we do not read, or BAD_REQUEST (a broken stream).
 */
export async function readBody(req: IncomingMessage, maxBytes: number, o: BodyOptions = {}): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const encoding = String(req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (!['identity', '', 'gzip', 'x-gzip', 'deflate', 'snappy'].includes(encoding)) {
    throw new LogFlowError('UNSUPPORTED_MEDIA_TYPE', `Content-Encoding "${encoding}" is not supported: send the body plain, gzip-, deflate- or snappy-compressed`);
  }
  const raw = await readRaw(req, maxBytes);
  if (o.snappy || encoding === 'snappy') return await unsnappyBlock(raw, maxBytes);
  // Out in chunks about the size the body will have (logs compress 5-10x): a few callbacks and copies
  // on the main thread rather than one per 16 KiB, zlib's default, which cost it 5% of ingest.
  const options = { maxOutputLength: maxBytes, chunkSize: Math.min(Math.max(16 * 1024, raw.length * 8), 1024 * 1024) };
  try {
    if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) return await gunzipAsync(raw, options);
    // zlib's header (deflate as HTTP means it), else raw deflate as some clients send it.
    if (encoding === 'deflate') return await ((raw[0]! & 0x0f) === 8 && ((raw[0]! << 8) | raw[1]!) % 31 === 0 ? inflateAsync(raw, options) : inflateRawAsync(raw, options));
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(maxBytes);
    throw new LogFlowError('BAD_REQUEST', `the body could not be read as ${encoding === 'deflate' ? 'deflate' : 'gzip'}: ${(err as Error).message}`);
  }
  return raw;
}

async function unsnappyBlock(raw: Buffer, maxBytes: number): Promise<Buffer> {
  const length = snappyLength(raw);
  if (length === undefined) throw new LogFlowError('BAD_REQUEST', 'the body is not snappy-compressed (its length header cannot be read): send one snappy block, as Loki clients do');
  if (length > maxBytes) throw tooLarge(maxBytes);
  try {
    return (await unsnappy(raw, { asBuffer: true })) as Buffer;
  } catch (err) {
    throw new LogFlowError('BAD_REQUEST', `the body could not be read as snappy: ${(err as Error).message}`);
  }
}

/** The uncompressed length a snappy block starts with (a varint of at most 32 bits); undefined when there is none. */
function snappyLength(raw: Buffer): number | undefined {
  let length = 0;
  for (let i = 0; i < 5 && i < raw.length; i++) {
    const b = raw[i]!;
    length += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) return length;
  }
  return undefined;
}

/**
 * The body as it came, up to maxBytes. Read by events rather than `for await`, whose early exit
 * destroys the request and with it the connection, before the 413 could be written.
 */
function readRaw(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (err?: LogFlowError) => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (err) {
        req.pause();
        reject(err);
      } else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) finish(tooLarge(maxBytes));
      else chunks.push(chunk);
    };
    const onEnd = () => finish();
    const onError = (err: Error) => finish(new LogFlowError('BAD_REQUEST', `the body could not be read: ${err.message}`));
    const onClose = () => finish(new LogFlowError('BAD_REQUEST', 'the body could not be read: the connection closed before it ended'));
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

function tooLarge(maxBytes: number): LogFlowError {
  return new LogFlowError('BODY_TOO_LARGE', `the body is larger than ${maxBytes} bytes (after decompression): send smaller batches`);
}
