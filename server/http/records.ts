// A POST /logs body into records, whatever way a client wrote them: one JSON object, an array of them
// (Fluent Bit's `json`, winston's batch), one per line (NDJSON, Fluent Bit's `json_lines`), objects back
// to back (Fluent Bit's `json_stream`), or plain log lines (text/plain). Objects are found where they
// are written, not parsed: shared/normalize reads each one in place, and checks it then (ObjectEnds).
import { LogFlowError } from '../../shared/errors.ts';
import type { IngestRecord } from '../../shared/normalize/record.ts';
import { show } from '../../shared/normalize/reasons.ts';
import { jsonValueEnd } from '../../shared/parse/json-members.ts';

/** `json`: JSON objects in any of the shapes above; `lines`: one raw log line per line. */
export type BodyKind = 'json' | 'lines';

const JSON_TYPES = new Set(['', 'application/json', 'text/json', 'application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/x-jsonlines', 'application/json-lines', 'application/octet-stream']);

/** How to read a body of this Content-Type; undefined when it is no type we read. */
export function bodyKind(contentType: string | undefined, body: string): BodyKind | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (JSON_TYPES.has(type) || type.endsWith('+json')) return 'json';
  if (type === 'text/plain') return 'lines';
  // `curl -d '{…}'` says form-urlencoded: a body that is JSON is read as JSON.
  if (type === 'application/x-www-form-urlencoded' && /^[\s\ufeff]*[[{]/.test(body.slice(0, 64))) return 'json';
  return undefined;
}

export function splitRecords(text: string, kind: BodyKind): IngestRecord[] {
  return kind === 'lines' ? splitLines(text) : splitJson(text);
}

function splitLines(text: string): IngestRecord[] {
  const records: IngestRecord[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() !== '') records.push({ line });
  }
  return records;
}

function splitJson(text: string): IngestRecord[] {
  const i = skipBlank(text, text.charCodeAt(0) === 0xfeff ? 1 : 0);
  return text.charCodeAt(i) === 91 /* [ */ ? splitArray(text, i) : splitSequence(text, i);
}

/** `[{…},{…}]`: a malformed array has no elements we can tell apart, so it fails whole. */
function splitArray(text: string, start: number): IngestRecord[] {
  const records: IngestRecord[] = [];
  const ends = new ObjectEnds(text);
  let i = skipBlank(text, start + 1);
  if (text.charCodeAt(i) === 93 /* ] */) i = skipBlank(text, i + 1);
  else {
    for (;;) {
      const end = ends.at(i);
      if (end < 0) throw notJson(text, i, `element ${records.length} of the array`);
      records.push(recordOf(text, i, end) ?? refused(text, i, end, `element ${records.length}`));
      i = skipBlank(text, end);
      const c = text.charCodeAt(i);
      i = skipBlank(text, i + 1);
      if (c === 93 /* ] */) break;
      if (c !== 44 /* , */) throw notJson(text, i - 1, 'the array');
    }
  }
  if (i < text.length) throw notJson(text, i, 'what follows the array');
  return records;
}

/** One object, objects one per line, or back to back: a line that is not an object costs only that line. */
function splitSequence(text: string, start: number): IngestRecord[] {
  const records: IngestRecord[] = [];
  const lines = new LineCounter(text);
  const ends = new ObjectEnds(text);
  for (let i = start; i < text.length; i = skipBlank(text, i)) {
    const end = ends.at(i);
    const record = end > 0 ? recordOf(text, i, end) : undefined;
    if (record !== undefined && record.invalid === undefined) {
      records.push(record);
      i = end;
      continue;
    }
    const newline = text.indexOf('\n', i);
    const stop = newline < 0 ? text.length : newline;
    const excerpt = text.slice(i, Math.min(stop, i + 60));
    records.push({ invalid: `line ${lines.at(i)} is not a JSON object (${JSON.stringify(excerpt)}${stop - i > 60 ? '...' : ''}): send one JSON object per line, a JSON array of objects, or log lines as text/plain` });
    i = stop;
  }
  return records;
}

/** The value at [start, end): an object is a record, a string a raw log line; undefined for anything else. */
function recordOf(text: string, start: number, end: number): IngestRecord | undefined {
  const c = text.charCodeAt(start);
  if (c === 123 /* { */) return { json: text.slice(start, end) };
  if (c === 34 /* " */) return { line: JSON.parse(text.slice(start, end)) as string };
  return undefined;
}

function refused(text: string, start: number, end: number, where: string): IngestRecord {
  return { invalid: `${where} is ${show(JSON.parse(text.slice(start, end)))}, not an event: send each event as a JSON object, such as {"message":"payment failed"}` };
}

function notJson(text: string, at: number, what: string): LogFlowError {
  const excerpt = text.slice(at, at + 40);
  return new LogFlowError('BAD_REQUEST', `the body is not valid JSON: ${what} breaks at line ${lineAt(text, at)} (${JSON.stringify(excerpt)}); send a JSON array of objects, one JSON object per line, or log lines as text/plain`);
}

/**
 * The end of the JSON value at a position (just past it), or -1. An object that closes on the line it
 * starts on, as nearly every event does, is found by its brackets and quotes alone, not checked:
 * normalisation scans every member of it anyway, and refuses that object alone if it is malformed
 * (checking it here too was a tenth of ingest's CPU). Anything else, an object over several lines or a
 * string left open at the line's end, is found by the full scan, so that a broken line costs only itself.
 */
class ObjectEnds {
  private lineEnd = -1;

  constructor(private readonly text: string) {}

  at(i: number): number {
    const s = this.text;
    if (s.charCodeAt(i) !== 123 /* { */) return jsonValueEnd(s, i);
    if (this.lineEnd < i) {
      this.lineEnd = s.indexOf('\n', i);
      if (this.lineEnd < 0) this.lineEnd = s.length;
    }
    const lineEnd = this.lineEnd;
    let depth = 0;
    for (let j = i; j < lineEnd; j++) {
      const c = s.charCodeAt(j);
      if (c === 34 /* " */) {
        j = closingQuote(s, j);
        if (j < 0 || j >= lineEnd) return jsonValueEnd(s, i);
      } else if (c === 123 || c === 91 /* { [ */) depth++;
      else if ((c === 125 || c === 93) /* } ] */ && --depth === 0) return j + 1;
    }
    return jsonValueEnd(s, i);
  }
}

/** The quote that closes the string opening at `open`: the next one no odd run of backslashes escapes; -1 if none. */
function closingQuote(s: string, open: number): number {
  for (let q = s.indexOf('"', open + 1); q >= 0; q = s.indexOf('"', q + 1)) {
    let b = q - 1;
    while (s.charCodeAt(b) === 92 /* \ */) b--;
    if ((q - 1 - b) % 2 === 0) return q;
  }
  return -1;
}

/** The 1-based line of a character: counted only when a reason needs it. */
function lineAt(text: string, at: number): number {
  return new LineCounter(text).at(at);
}

/** lineAt for positions that only grow, counting each newline once. */
class LineCounter {
  private line = 1;
  private from = 0;

  constructor(private readonly text: string) {}

  at(position: number): number {
    for (let i = this.text.indexOf('\n', this.from); i >= 0 && i < position; i = this.text.indexOf('\n', i + 1)) {
      this.line++;
      this.from = i + 1;
    }
    return this.line;
  }
}

function skipBlank(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return i;
    i++;
  }
}
