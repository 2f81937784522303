// One JSON log line (pino, bunyan, winston, structlog, ECS, GCP) into a ParsedLine.
import { liftFields, type LogRecord, type ParsedLine } from './parse-fields.ts';

/** undefined when the line is not a JSON object, so the caller can read it as text instead. */
export function parseJson(line: string): ParsedLine | undefined {
  // A thrown SyntaxError costs microseconds; looking at two characters first keeps text lines cheap.
  if (!isBracedObject(line)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  // JSON.parse keeps a "__proto__" key as an own property; liftFields copies it without its setter.
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? liftFields(value as LogRecord, line) : undefined;
}

/** The first and last non-blank characters are { and }. */
export function isBracedObject(line: string): boolean {
  let start = 0;
  let end = line.length - 1;
  while (start <= end && isBlank(line.charCodeAt(start))) start++;
  while (end > start && isBlank(line.charCodeAt(end))) end--;
  return end > start && line.charCodeAt(start) === 123 /* { */ && line.charCodeAt(end) === 125 /* } */;
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10;
}
