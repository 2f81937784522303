import type { Client } from '@opensearch-project/opensearch';
import type { LogEvent } from '../../../shared/event.ts';
import { LogFlowError } from '../../../shared/errors.ts';
import type { Sink, WriteResult } from '../types.ts';
import { createClient, describeError, toStoreError, type OpenSearchOptions } from './client.ts';
import { documentId, existingIndexMapping, indexFor, indexPattern, indexTemplate, templateName, toDocument } from './mapping.ts';

/** One line of a bulk answer, whatever the action was. */
interface BulkItem {
  status?: number;
  error?: unknown;
}

const CLUSTER_FULL = /maximum (normal )?shards open|cluster_block_exception/;

/** What one bulk item means for its event. */
export function resultOfItem(item: BulkItem | undefined): WriteResult {
  if (!item || typeof item.status !== 'number') return { status: 'retry', reason: 'OpenSearch did not answer for this event' };
  const status = item.status;
  // 409 on create: the document with this id exists, i.e. an earlier attempt already stored it.
  if ((status >= 200 && status < 300) || status === 409) return { status: 'ok' };
  const reason = describeError(item.error) ?? `HTTP ${status}`;
  // 429 is a full write queue. A 5xx item (e.g. unavailable_shards_exception while a new daily index
  // starts) is just as passing; dead-lettering it would lose an event to a hiccup.
  if (status === 429 || status >= 500) return { status: 'retry', reason };
  // The cluster, not the event: no room for another index (the shard limit), or writes blocked by an
  // operator or a full disk. Waited out like an outage; dead-lettering would lose events to capacity.
  if (CLUSTER_FULL.test(reason)) return { status: 'retry', reason };
  return { status: 'reject', reason };
}

/** Writes batches with one `_bulk` of `create` actions; each event's answer comes from its own item. */
export function createOpenSearchSink(opts: OpenSearchOptions): Sink {
  const client = createClient(opts);
  let closing: Promise<void> | undefined;

  return {
    name: 'opensearch',

    async prepare() {
      try {
        await client.indices.putIndexTemplate({ name: templateName(opts.namespace), body: indexTemplate(opts.namespace) });
      } catch (err) {
        throw toStoreError(err, `index template ${templateName(opts.namespace)} upload`);
      }
      try {
        await client.indices.putMapping({ index: indexPattern(opts.namespace), allow_no_indices: true, ignore_unavailable: true, body: existingIndexMapping() });
      } catch (err) {
        throw toStoreError(err, `mapping update of the existing ${indexPattern(opts.namespace)} indices`);
      }
    },

    async check() {
      try {
        await client.cluster.health({ timeout: '5s' });
      } catch (err) {
        throw toStoreError(err, 'health check');
      }
    },
    async write(events) {
      if (closing) throw new LogFlowError('STORE_UNAVAILABLE', 'the OpenSearch sink is closed', { transient: true });
      return writeBatch(client, opts.namespace, events, opts.maxBulkChars ?? MAX_BULK_CHARS);
    },

    close() {
      closing ??= client.close();
      return closing;
    },
  };
}

// A bulk request stays well under OpenSearch's http.max_content_length (100mb by default; 8Mi
// characters are at most 24 MiB of UTF-8): a batch of large events goes as several requests, where
// one would be refused whole.
const MAX_BULK_CHARS = 8 * 1024 * 1024;

interface Placed {
  /** Position in the batch. */
  at: number;
  id: string;
  index: string;
  earlier: string[];
}

async function writeBatch(client: Client, namespace: string, events: LogEvent[], maxChars: number): Promise<WriteResult[]> {
  const results: (WriteResult | undefined)[] = new Array(events.length);
  const placed: Placed[] = [];
  // The same event twice in one batch (a client that sent it again) is written once: both are that write.
  const firstWith = new Map<string, number>();
  const copies: [copy: number, first: number][] = [];
  events.forEach((e, at) => {
    const target = indexFor(namespace, e);
    if (!target) {
      results[at] = { status: 'reject', reason: `timestamp "${e.timestamp}" is not an ISO 8601 time` };
      return;
    }
    const id = documentId(e);
    const first = firstWith.get(id);
    if (first !== undefined) return void copies.push([at, first]);
    firstWith.set(id, at);
    placed.push({ at, id, ...target });
  });
  const there = await storedEarlier(client, placed);
  let chunk = { lines: [] as string[], members: [] as number[], chars: 0 };
  const send = async () => {
    if (!chunk.members.length) return;
    const items = await sendBulk(client, chunk.lines.join(''));
    // Items come back in the order the actions were sent.
    chunk.members.forEach((at, n) => (results[at] = resultOfItem(firstAction(items[n]))));
    chunk = { lines: [], members: [], chars: 0 };
  };
  for (const p of placed) {
    if (there.has(p.at)) {
      results[p.at] = { status: 'ok' };
      continue;
    }
    const line = `{"create":{"_index":${JSON.stringify(p.index)},"_id":${JSON.stringify(p.id)}}}\n${JSON.stringify(toDocument(events[p.at]!))}\n`;
    if (chunk.chars + line.length > maxChars) await send();
    chunk.lines.push(line);
    chunk.members.push(p.at);
    chunk.chars += line.length;
  }
  await send();
  for (const [copy, first] of copies) results[copy] = results[first];
  return results.map((r) => r ?? { status: 'retry', reason: 'not sent' });
}

/**
 * The events of the batch already stored in a finer index than theirs: a copy ingested before a new
 * month made them "older" (time-bucket.ts). Only events bound for a month or older index are looked up.
 */
async function storedEarlier(client: Client, placed: Placed[]): Promise<Set<number>> {
  const docs = placed.flatMap((p) => p.earlier.map((index) => ({ at: p.at, _index: index, _id: p.id })));
  if (!docs.length) return new Set();
  let response;
  try {
    response = await client.mget({ body: { docs: docs.map(({ _index, _id }) => ({ _index, _id })) }, _source: false });
  } catch (err) {
    throw toStoreError(err, 'lookup of earlier copies');
  }
  const found = ((response.body as { docs?: { found?: boolean }[] }).docs ?? []).map((d) => d?.found === true);
  return new Set(docs.filter((_, n) => found[n]).map((d) => d.at));
}

async function sendBulk(client: Client, body: string): Promise<unknown[]> {
  let response;
  try {
    // NDJSON as we built it (the client passes a string through): no second serialisation of the batch.
    // Of each item's answer only its status and error are read: OpenSearch writes, and the worker
    // parses, a tenth of the answer (`{"create":{"status":201}}` instead of its index, id, version,
    // shards and sequence numbers).
    response = await client.bulk({ body: body as unknown as Record<string, unknown>[], filter_path: 'items.*.status,items.*.error' });
  } catch (err) {
    throw toStoreError(err, 'bulk write');
  }
  const items: unknown = (response.body as { items?: unknown }).items;
  if (!Array.isArray(items)) {
    throw new LogFlowError('STORE_UNAVAILABLE', 'OpenSearch answered the bulk write without items; will retry', { transient: true });
  }
  return items;
}

/** A bulk item is `{ "<action>": {...} }`; we send only create, but read whatever key came back. */
function firstAction(item: unknown): BulkItem | undefined {
  if (item === null || typeof item !== 'object') return undefined;
  const [value] = Object.values(item);
  return value !== null && typeof value === 'object' ? (value as BulkItem) : undefined;
}
