// A plain text line: the message is the whole line, as people search for what they saw in the file;
// only the level and a leading time are read out of it.
import { levelWordAlternation, normalizeLevel, type Level } from '../levels.ts';
import { formatIso, leadingTimeMs, utcMs } from './time.ts';
import type { ParsedLine } from './fields.ts';

/** How far into a line the level word is looked for: past it, a word is more likely prose than a level. */
const LEVEL_WINDOW = 100;

// Whole words only, so `errors`, `ERROR_CODE` and `information` do not count; `[error]`, `<ERROR>`,
// `ERROR:` and `level=error` do. The names shared/levels.ts trusts in prose: `err`, `alert` and `log`
// are too common as plain words. No nested quantifiers, so a long line cannot make it backtrack.
const LEVEL_WORD = new RegExp(`\\b(?:${levelWordAlternation('word')})\\b`, 'i');

// nginx and Apache "combined"/"common": 127.0.0.1 - - [25/Nov/2026:13:00:00 +0000] "GET / HTTP/1.1" 500 612
const ACCESS_LINE = /^\S+ \S+ \S+ \[(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-]\d{4})\] "[^"]*" (\d{3})\b/;
const MONTHS = new Map(['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].map((name, i) => [name, i + 1]));

export function parseText(line: string): ParsedLine {
  const access = parseAccessLine(line);
  if (access !== undefined) return access;
  const out: ParsedLine = { level: levelOf(line), message: line };
  const timestamp = leadingTime(line);
  if (timestamp !== undefined) out.timestamp = timestamp;
  return out;
}

function levelOf(line: string): Level {
  const klog = klogLevel(line);
  if (klog !== undefined) return klog;
  let head = line.length > LEVEL_WINDOW ? line.slice(0, LEVEL_WINDOW) : line;
  // A coloured `\x1b[31mERROR` would hide the word boundary before ERROR.
  if (head.includes('\u001b')) head = head.replace(/\u001b\[[0-9;]*m/g, ''); // eslint-disable-line no-control-regex
  const word = LEVEL_WORD.exec(head);
  return (word && normalizeLevel(word[0])) || 'INFO';
}

/**
 * Kubernetes components (klog/glog) start with the level letter glued to the date: `E1101 10:00:00.123456`.
 * A single letter is only trusted in that exact shape.
 */
function klogLevel(line: string): Level | undefined {
  if (line.length < 11 || line.charCodeAt(5) !== 32 || line.charCodeAt(8) !== 58 /* : */) return undefined;
  for (let i = 1; i < 5; i++) if (!isDigit(line.charCodeAt(i))) return undefined;
  switch (line.charCodeAt(0)) {
    case 73: return 'INFO'; // I
    case 87: return 'WARN'; // W
    case 69: case 70: return 'ERROR'; // E, F
    default: return undefined;
  }
}

/** A time at the very start of the line, or just inside a leading `[`. */
function leadingTime(line: string): string | undefined {
  const start = line.charCodeAt(0) === 91 /* [ */ ? 1 : 0;
  if (!isDigit(line.charCodeAt(start))) return undefined;
  const ms = leadingTimeMs(line, start);
  return ms === undefined ? undefined : formatIso(ms);
}

/** The level is the status: 5xx is an error, 4xx a warning. */
function parseAccessLine(line: string): ParsedLine | undefined {
  // Cheap shape check before the regular expression: ` [25/` soon after the start.
  const bracket = line.indexOf(' [');
  if (bracket < 1 || bracket > 100 || !isDigit(line.charCodeAt(bracket + 2)) || line.charCodeAt(bracket + 4) !== 47 /* / */) {
    return undefined;
  }
  const m = ACCESS_LINE.exec(line);
  if (m === null) return undefined;
  const status = Number(m[8]);
  const out: ParsedLine = { level: status >= 500 ? 'ERROR' : status >= 400 ? 'WARN' : 'INFO', message: line };
  const month = MONTHS.get(m[2]!);
  const zone = Number(m[7]);
  const offset = (zone < 0 ? -1 : 1) * (Math.floor(Math.abs(zone) / 100) * 60 + (Math.abs(zone) % 100));
  const ms = month === undefined ? undefined : utcMs(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]), 0, offset);
  const timestamp = ms === undefined ? undefined : formatIso(ms);
  if (timestamp !== undefined) out.timestamp = timestamp;
  return out;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

