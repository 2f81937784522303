// The shipping agent's per-line parser: pure, and cheap enough to run on every line it tails.
// auto-detection looks at the first characters before trying anything costly.
import type { LineFormat, ParsedLine } from './fields.ts';
import { parseJson } from './json.ts';
import { looksLikeLogfmt, parseLogfmt } from './logfmt.ts';
import { parseText } from './text.ts';

export type { LineFormat, ParsedLine } from './fields.ts';

/**
 * Reads one log line. Never throws and never drops a line: a line that is not the format asked for
 * (a stack trace inside a JSON log, a truncated write) is read as text, with the whole line as message.
 * A JSON line whose message is a `log` field (Docker's json-file, Fluent Bit) has that raw line read in turn.
 */
export function parseLine(line: string, format: LineFormat = 'auto'): ParsedLine {
  switch (format) {
    case 'text':
      return parseText(line);
    case 'json':
      return withRawLine(parseJson(line)) ?? parseText(line);
    case 'logfmt':
      return parseLogfmt(line) ?? parseText(line);
    default:
      return withRawLine(parseJson(line)) ?? (looksLikeLogfmt(line) ? parseLogfmt(line) : undefined) ?? parseText(line);
  }
}

function withRawLine(parsed: ParsedLine | undefined): ParsedLine | undefined {
  return parsed?.rawLine === undefined ? parsed : mergeRawLine(parsed, parseLine(withoutNewline(parsed.rawLine)));
}

/** Docker and Fluent Bit keep the newline the application wrote at the end of `log`. */
export function withoutNewline(line: string): string {
  const end = line.endsWith('\r\n') ? line.length - 2 : line.endsWith('\n') ? line.length - 1 : line.length;
  return end === line.length ? line : line.slice(0, end);
}

/**
 * A record an agent sent (`outer`: its own fields, such as Fluent Bit's `date` or a Kubernetes filter's
 * labels) around the raw line it read (`inner`, parsed as a line). What the application wrote wins
 * where an agent only stamps: the line's message, and its own time over the agent's (the time the agent
 * read it, kept in metadata). Where the agent names something itself (a level, a service, ids), that
 * was configured on purpose and wins; the line fills in the rest. Metadata keeps both, the record's
 * last, so that of two equal keys a JSON reader keeps the record's.
 */
export function mergeRawLine(outer: ParsedLine, inner: ParsedLine): ParsedLine {
  const out: ParsedLine = { level: outer.levelStated ? outer.level : inner.level, message: inner.message };
  const timestamp = inner.timestamp ?? outer.timestamp;
  if (timestamp !== undefined) out.timestamp = timestamp;
  const service = outer.service ?? inner.service;
  if (service !== undefined) out.service = service;
  const traceId = outer.trace_id ?? inner.trace_id;
  if (traceId !== undefined) out.trace_id = traceId;
  const requestId = outer.request_id ?? inner.request_id;
  if (requestId !== undefined) out.request_id = requestId;
  const host = outer.host ?? inner.host;
  if (host !== undefined) out.host = host;
  const env = outer.env ?? inner.env;
  if (env !== undefined) out.env = env;
  const parts: string[] = [];
  if (inner.metadata !== undefined) parts.push(inner.metadata);
  if (outer.metadata !== undefined) parts.push(outer.metadata);
  if (inner.timestamp !== undefined && outer.timeMember !== undefined) parts.push(outer.timeMember);
  if (parts.length > 0) out.metadata = parts.join(',');
  return out;
}
