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
 */
export function parseLine(line: string, format: LineFormat = 'auto'): ParsedLine {
  switch (format) {
    case 'text':
      return parseText(line);
    case 'json':
      return parseJson(line) ?? parseText(line);
    case 'logfmt':
      return parseLogfmt(line) ?? parseText(line);
    default:
      return parseJson(line) ?? (looksLikeLogfmt(line) ? parseLogfmt(line) : undefined) ?? parseText(line);
  }
}
