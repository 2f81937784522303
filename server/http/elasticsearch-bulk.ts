// An Elasticsearch `_bulk` body (NDJSON: an action line, then for `index` and `create` the document)
// into records for the one ingest path, and the per-item answer Elasticsearch gives, so that every
// agent reads it as it reads Elasticsearch's: `items` in the order of the actions, each with a status.
// A document is read in place as the JSON text it came as (shared/normalize); its `_id` is its
// event_id, so a client's retry lands once; without one an id is derived from what it is. The index it
// was sent to names its service when nothing else does (`fluent-bit`, `filebeat-8.17.0` → `filebeat`,
// `logstash-2026.11.01` → `logstash`, a data stream `logs-nginx.access-default` → `nginx.access`).
import { LogFlowError } from '../../shared/errors.ts';
import { MAX_SHORT_TEXT } from '../../shared/limits.ts';
import { jsonString } from '../../shared/parse/json-string.ts';
import type { IngestRecord } from '../../shared/normalize/record.ts';
import type { RecordOutcome } from '../ingest/ingest.ts';

type Operation = 'index' | 'create' | 'update' | 'delete';

/** One action of the body: its operation, target, and which record (if any) carries its document. */
export interface BulkAction {
  op: Operation;
  index: string | undefined;
  id: string | undefined;
  /** Position in the records handed to ingest; undefined for an action LogFlow never takes (update, delete). */
  record?: number;
}

export interface BulkRequest {
  actions: BulkAction[];
  records: IngestRecord[];
}

/** Reads the body; throws BAD_REQUEST where Elasticsearch refuses the whole request (an action line it cannot read). */
export function readBulk(body: string, urlIndex: string | undefined): BulkRequest {
  const actions: BulkAction[] = [];
  const records: IngestRecord[] = [];
  let at = 0;
  let line = 0;
  const next = (): string | undefined => {
    while (at < body.length) {
      const newline = body.indexOf('\n', at);
      const end = newline < 0 ? body.length : newline;
      let text = body.slice(at, end);
      at = end + 1;
      line++;
      if (text.endsWith('\r')) text = text.slice(0, -1);
      if (text.trim() !== '') return text;
    }
    return undefined;
  };
  // Agents write the same action line for a whole batch ({"create":{"_index":"app"}}): read it once.
  let lastText: string | undefined;
  let last: ReturnType<typeof actionOf> | undefined;
  for (let text = next(); text !== undefined; text = next()) {
    if (text !== lastText) {
      last = actionOf(text, line);
      lastText = text;
    }
    const { op, meta } = last!;
    const index = typeof meta._index === 'string' ? meta._index : urlIndex;
    const id = meta._id === undefined || meta._id === null ? undefined : String(meta._id);
    const action: BulkAction = { op, index, id };
    actions.push(action);
    if (op === 'delete') continue;
    const doc = next();
    if (doc === undefined) throw new LogFlowError('BAD_REQUEST', `the ${op} action on line ${line} has no document after it: send each document on the line after its action, and end the body with a newline`);
    if (op === 'update') continue;
    const record: IngestRecord = { json: doc };
    if (id !== undefined) record.id = id;
    const service = serviceOfIndex(index);
    if (service !== undefined) record.fallbackService = service;
    action.record = records.length;
    records.push(record);
  }
  if (actions.length === 0) throw new LogFlowError('BAD_REQUEST', 'the bulk request holds no action: send NDJSON, an action line such as {"create":{}} and then the document, for each document');
  return { actions, records };
}

function actionOf(text: string, line: number): { op: Operation; meta: Record<string, unknown> } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const keys = value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : [];
  const op = keys[0];
  const meta = op === undefined ? undefined : (value as Record<string, unknown>)[op];
  if (keys.length !== 1 || !['index', 'create', 'update', 'delete'].includes(op!) || meta === null || typeof meta !== 'object' || Array.isArray(meta)) {
    throw new LogFlowError('BAD_REQUEST', `line ${line} is no bulk action (${JSON.stringify(text.slice(0, 60))}): each action is one JSON object such as {"create":{"_index":"app"}}, followed by its document on the next line`);
  }
  return { op: op as Operation, meta: meta as Record<string, unknown> };
}

/** The service an index name stands for, when it names one a store can hold. */
export function serviceOfIndex(index: string | undefined): string | undefined {
  if (index === undefined) return undefined;
  let name = index.trim();
  const dataStream = /^logs-(.+)-[^-]+$/.exec(name);
  if (dataStream) name = dataStream[1]!;
  name = name.replace(/[-_.]\d{4}[-_.]\d{2}[-_.]\d{2}$/, '').replace(/-\d+\.\d+\.\d+$/, '');
  return name === '' || name.length > MAX_SHORT_TEXT ? undefined : name;
}

/** What LogFlow never does with a log, said as Elasticsearch says an action failed. */
const NOT_TAKEN = {
  update: 'LogFlow stores log events and never changes one: send each document with an index or create action',
  delete: 'LogFlow stores log events and never deletes one (retention removes whole days): send index or create actions only',
};

/**
 * Elasticsearch's bulk answer, as JSON text: each item under its operation's name, in the order of the
 * actions: 201 `created` with its `_id` (the one sent, or the one derived) for a stored document, 400
 * with an `error` for one that can never be stored as sent. Agents drop 400s (Filebeat, Logstash,
 * Vector, the clients' helpers) and would retry a 429, which never arises per item: a request is taken
 * whole or not at all (then the request itself is answered 429 or 503). Written by hand: a thousand
 * items are 150 KB of JSON, and building objects for JSON.stringify cost more than reading the request.
 * Only what agents read is written (`_index`, `_id`, `result`, `status`, `error`), not shard details.
 */
export function bulkAnswer(request: BulkRequest, outcomes: readonly RecordOutcome[], tookMs: number): string {
  let errors = false;
  let items = '';
  let lastIndex: string | undefined;
  let indexJson = '""';
  for (const action of request.actions) {
    if (action.index !== lastIndex) {
      lastIndex = action.index;
      indexJson = jsonString(action.index ?? '');
    }
    const outcome: RecordOutcome = action.record === undefined ? { status: 'refused', reason: NOT_TAKEN[action.op as 'update' | 'delete'] } : outcomes[action.record]!;
    let item: string;
    if (outcome.status === 'accepted') {
      item = `{"${action.op}":{"_index":${indexJson},"_id":${jsonString(outcome.eventId)},"_version":1,"result":"created","status":201}}`;
    } else {
      errors = true;
      const type = action.record === undefined ? 'illegal_argument_exception' : 'document_parsing_exception';
      item = `{"${action.op}":{"_index":${indexJson},"_id":${action.id === undefined ? 'null' : JSON.stringify(action.id)},"status":400,"error":{"type":"${type}","reason":${JSON.stringify(outcome.reason)}}}}`;
    }
    items = items === '' ? item : `${items},${item}`;
  }
  return `{"took":${tookMs},"errors":${errors},"items":[${items}]}`;
}
