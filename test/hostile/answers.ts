// How each protocol answers, read the way its agents read it: what the answer breaks of the
// protocol's rules (a refusal that says nothing, the wrong content type, a body that is not what the
// protocol promises), and which of the request's records it says were taken. POST /logs names each
// refused record; `_bulk` gives a status per item; OTLP and Loki say only how many were refused.

export interface Reading {
  /** What the answer breaks of its protocol's rules. */
  problems: string[];
  /** Every record taken, none, or some: all but `rejected` (by index), or all but an unnamed `rejectedCount`. */
  took: 'all' | 'none' | 'some';
  rejected?: Map<number, string>;
  rejectedCount?: number;
}

export interface Answered {
  status: number;
  contentType?: string;
  text: string;
}

/** Reads one answer to a request of `records` records (undefined: not known, as for a request written raw). */
export type AnswerReader = (a: Answered, records: number | undefined) => Reading;

const isJson = (a: Answered) => a.contentType?.toLowerCase().startsWith('application/json') ?? false;

function parse(a: Answered, problems: string[]): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(a.text) as unknown;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    problems.push(`answered ${a.status} with JSON that is not an object: ${a.text.slice(0, 100)}`);
  } catch {
    problems.push(`answered ${a.status} with a body that is not JSON: ${a.text.slice(0, 100)}`);
  }
  return undefined;
}

function jsonAnswer(a: Answered, problems: string[]): Record<string, unknown> | undefined {
  if (!isJson(a)) problems.push(`answered ${a.status} as ${a.contentType}, not JSON`);
  return parse(a, problems);
}

/** LogFlow's own: JSON always; a refusal has `error` and `message`; 400 with `accepted` and `rejected` took the others. */
export const logflowAnswer: AnswerReader = (a, records) => {
  const problems: string[] = [];
  const body = jsonAnswer(a, problems);
  if (a.status >= 300 && (typeof body?.error !== 'string' || typeof body?.message !== 'string' || body.message === '')) problems.push(`refused (${a.status}) without an error code and a message: ${a.text.slice(0, 100)}`);
  if (a.status === 200) return { problems, took: 'all' };
  if (a.status === 400 && Array.isArray(body?.rejected) && typeof body?.accepted === 'number') {
    const rejected = new Map<number, string>();
    for (const r of body.rejected as { index: number; reason: string }[]) rejected.set(r.index, r.reason);
    if (records && body.accepted + rejected.size !== records) problems.push(`${records} records sent, ${body.accepted} accepted and ${rejected.size} rejected`);
    return { problems, took: 'some', rejected };
  }
  return { problems, took: 'none' };
};

/** OTLP/JSON: 200 with an ExportLogsServiceResponse (partialSuccess counts the refused), else a google.rpc.Status. */
export const otlpJsonAnswer: AnswerReader = (a, records) => {
  const problems: string[] = [];
  const body = jsonAnswer(a, problems);
  if (a.status >= 300) {
    if (typeof body?.code !== 'number' || typeof body?.message !== 'string' || body.message === '') problems.push(`refused (${a.status}) without a google.rpc.Status (code and message): ${a.text.slice(0, 100)}`);
    return { problems, took: 'none' };
  }
  const partial = body?.partialSuccess as { rejectedLogRecords?: unknown; errorMessage?: unknown } | undefined;
  if (partial === undefined) return { problems, took: 'all' };
  const count = Number(partial.rejectedLogRecords);
  if (!Number.isInteger(count) || count < 1 || (records !== undefined && count > records)) problems.push(`partialSuccess says ${String(partial.rejectedLogRecords)} of ${records} records were refused`);
  if (typeof partial.errorMessage !== 'string' || partial.errorMessage === '') problems.push('partialSuccess without an errorMessage saying why');
  return { problems, took: records !== undefined && count >= records ? 'none' : 'some', rejectedCount: count };
};

/** OTLP protobuf: answered in protobuf; a refusal carries a google.rpc.Status (some bytes), a success none or a partial_success. */
export const otlpProtobufAnswer: AnswerReader = (a) => {
  const problems: string[] = [];
  if (!a.contentType?.startsWith('application/x-protobuf')) problems.push(`answered ${a.status} as ${a.contentType}, not application/x-protobuf`);
  if (a.status >= 300) {
    if (a.text === '') problems.push(`refused (${a.status}) with an empty body: no google.rpc.Status`);
    return { problems, took: 'none' };
  }
  // Which were refused is in the partial_success's bytes; the records of these cases are "maybe" anyway.
  return a.text === '' ? { problems, took: 'all' } : { problems, took: 'some' };
};

/** Elasticsearch `_bulk`: 200 with `items`, one per action with its status (201 taken), else an Elasticsearch error. */
export const bulkAnswer: AnswerReader = (a, records) => {
  const problems: string[] = [];
  const body = jsonAnswer(a, problems);
  if (a.status >= 300) {
    const error = body?.error as { type?: unknown; reason?: unknown } | undefined;
    if (typeof error?.type !== 'string' || typeof error.reason !== 'string' || error.reason === '') problems.push(`refused (${a.status}) without an Elasticsearch error (type and reason): ${a.text.slice(0, 100)}`);
    return { problems, took: 'none' };
  }
  const items = body?.items;
  if (!Array.isArray(items) || typeof body?.errors !== 'boolean' || typeof body.took !== 'number') {
    problems.push(`answered ${a.status} without took, errors and items: ${a.text.slice(0, 100)}`);
    return { problems, took: 'none' };
  }
  if (records !== undefined && items.length !== records) problems.push(`${records} actions sent, ${items.length} items answered`);
  const rejected = new Map<number, string>();
  items.forEach((item: Record<string, { status?: number; error?: { reason?: string } }>, i) => {
    const result = Object.values(item)[0];
    if (result?.status === 201) return;
    if (typeof result?.error?.reason !== 'string') problems.push(`item ${i} answered ${result?.status} without an error reason`);
    rejected.set(i, result?.error?.reason ?? '');
  });
  if (body.errors !== rejected.size > 0) problems.push(`errors is ${String(body.errors)} with ${rejected.size} items refused`);
  return { problems, took: rejected.size ? 'some' : 'all', rejected };
};

const LOKI_PARTIAL = /^(\d+) of (\d+) entries were refused/;

/** Loki push: 204 when all were taken; else plain text saying why (400 naming each refused entry, when some were taken). */
export const lokiAnswer: AnswerReader = (a, records) => {
  const problems: string[] = [];
  if (a.status === 204) {
    if (a.text !== '') problems.push('answered 204 with a body');
    return { problems, took: 'all' };
  }
  if (a.status < 300) problems.push(`answered ${a.status}: Loki answers a push 204`);
  if (!a.contentType?.startsWith('text/plain')) problems.push(`answered ${a.status} as ${a.contentType}, not text/plain as Loki does`);
  if (a.text.trim() === '') problems.push(`refused (${a.status}) without saying why`);
  const partial = a.status === 400 ? LOKI_PARTIAL.exec(a.text) : null;
  if (!partial) return { problems, took: 'none' };
  const count = Number(partial[1]);
  if ((records !== undefined && Number(partial[2]) !== records) || count < 1 || count > Number(partial[2])) problems.push(`says ${partial[1]} of ${partial[2]} entries were refused, of ${records} sent`);
  return { problems, took: count >= Number(partial[2]) ? 'none' : 'some', rejectedCount: count };
};
