// A plain text line: the message is the whole line, as people search for what they saw in the file;
// only the level and a leading time are read out of it.
import { normalizeLevel, type Level } from '../../shared/levels.ts';
import { formatIso, isoToMs } from './parse-time.ts';
import type { ParsedLine } from './parse-fields.ts';

/** How far into a line the level word is looked for: past it, a word is more likely prose than a level. */
const LEVEL_WINDOW = 100;

// Whole words only, so `errors`, `ERROR_CODE` and `information` do not count; `[error]`, `<ERROR>`,
// `ERROR:` and `level=error` do. `err`, `alert` and `log` are left out: as prose they are too common.
// No nested quantifiers, so a long line cannot make it backtrack.
const LEVEL_WORD = /\b(?:trace|debug|info|notice|warn|warning|error|fatal|critical|crit|panic|severe|emerg)\b/i;

// 2026-11-01T10:00:00.123Z, 2026-11-01 10:00:00,123 (Python), 2026/11/01 10:00:00 (Go, nginx), optionally in [].
const LEADING_TIME = /^\[?(\d{4})[-/](\d{2})[-/](\d{2})[T ](\d{2}:\d{2}:\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?/;

// nginx and Apache "combined"/"common": 127.0.0.1 - - [25/Nov/2026:13:00:00 +0000] "GET / HTTP/1.1" 500 612
const ACCESS_LINE = /^\S+ \S+ \S+ \[(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}:\d{2}:\d{2}) ([+-]\d{4})\] "[^"]*" (\d{3})\b/;
const MONTHS: Readonly<Record<string, string>> = {
  Jan: '01', Feb: '02', Mar: '03', Apr: '04', May: '05', Jun: '06', Jul: '07', Aug: '08', Sep: '09', Oct: '10', Nov: '11', Dec: '12',
};

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

/** A time at the very start of the line; one without an offset is taken as UTC. */
function leadingTime(line: string): string | undefined {
  const start = line.charCodeAt(0) === 91 /* [ */ ? 1 : 0;
  if (!isDigit(line.charCodeAt(start)) || !isDateSeparator(line.charCodeAt(start + 4))) return undefined;
  const m = LEADING_TIME.exec(line);
  if (m === null) return undefined;
  const ms = isoToMs(`${m[1]}-${m[2]}-${m[3]}T${m[4]}${m[5] === undefined ? '' : `.${m[5]}`}${m[6] ?? ''}`);
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
  const status = Number(m[6]);
  const out: ParsedLine = { level: status >= 500 ? 'ERROR' : status >= 400 ? 'WARN' : 'INFO', message: line };
  const month = MONTHS[m[2]!];
  const ms = month === undefined ? undefined : isoToMs(`${m[3]}-${month}-${m[1]}T${m[4]}${m[5]}`);
  const timestamp = ms === undefined ? undefined : formatIso(ms);
  if (timestamp !== undefined) out.timestamp = timestamp;
  return out;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isDateSeparator(c: number): boolean {
  return c === 45 /* - */ || c === 47 /* / */;
}
