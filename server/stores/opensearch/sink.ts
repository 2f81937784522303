import type { Client } from '@opensearch-project/opensearch';
import type { LogEvent } from '../../../shared/event.ts';
import { LogFlowError } from '../../../shared/errors.ts';
import type { Sink, WriteResult } from '../types.ts';
import { createClient, describeError, toStoreError, type OpenSearchOptions } from './client.ts';
import { documentId, indexNameFor, indexTemplate, templateName, toDocument } from './mapping.ts';

/** One line of a bulk answer, whatever the action was. */
interface BulkItem {
  status?: number;
  error?: unknown;
}

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
      return writeBatch(client, opts.namespace, events);
    },

    close() {
      closing ??= client.close();
      return closing;
    },
  };
}

async function writeBatch(client: Client, namespace: string, events: LogEvent[]): Promise<WriteResult[]> {
  const results: (WriteResult | undefined)[] = new Array(events.length);
  const sent: number[] = [];
  const body: Record<string, unknown>[] = [];
  events.forEach((e, i) => {
    const index = indexNameFor(namespace, e.timestamp);
    if (!index) {
      results[i] = { status: 'reject', reason: `timestamp "${e.timestamp}" is not an ISO 8601 time` };
      return;
    }
    sent.push(i);
    body.push({ create: { _index: index, _id: documentId(e) } }, toDocument(e));
  });
  if (sent.length) {
    const items = await sendBulk(client, body);
    // Items come back in the order the actions were sent.
    sent.forEach((eventIndex, n) => {
      results[eventIndex] = resultOfItem(firstAction(items[n]));
    });
  }
  return results.map((r) => r ?? { status: 'retry', reason: 'not sent' });
}

async function sendBulk(client: Client, body: Record<string, unknown>[]): Promise<unknown[]> {
  let response;
  try {
    response = await client.bulk({ body });
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
