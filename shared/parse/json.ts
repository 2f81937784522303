// One JSON log line (pino, bunyan, winston, structlog, ECS, GCP) into a ParsedLine.
import { JsonMembers } from './json-members.ts';
import { FieldLifter, type ParsedLine } from './fields.ts';

// One scanner for every line: it keeps only numbers, reused from line to line.
const members = new JsonMembers();

/** undefined when the line is not a JSON object, so the caller can read it as text instead. */
export function parseJson(line: string): ParsedLine | undefined {
  // The first and last characters first: text lines and a JSON line cut short are told at once.
  if (!isBracedObject(line) || !members.scan(line)) return undefined;
  const lifter = new FieldLifter();
  for (let m = 0; m < members.count; m++) lifter.addMember(line, members, m);
  return lifter.finish(line);
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
