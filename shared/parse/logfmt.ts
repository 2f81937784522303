// One logfmt line (Go slog's TextHandler, logrus, go-kit, Heroku) into a ParsedLine:
//   time=2026-11-01T10:00:00Z level=INFO msg="payment failed" user=42 err="card declined" retry
import { FieldLifter, type ParsedLine } from './fields.ts';

// A key that says "this is a log record", so that `user=bob logged in` stays a text line.
const RECORD_KEY = /(?:^|[ \t])(?:level|lvl|msg|time|ts)=/;

/** Starts with `key=` and names a level, message or time somewhere. */
export function looksLikeLogfmt(line: string): boolean {
  let i = skipBlanks(line, 0);
  const start = i;
  if (start >= line.length || !isKeyStart(line.charCodeAt(start))) return false;
  while (i < line.length && isKeyChar(line.charCodeAt(i))) i++;
  if (line.charCodeAt(i) !== 61 /* = */) return false;
  // Heroku's router begins `at=info method=GET …` and has no other level or message key.
  if (i - start === 2 && line.startsWith('at', start)) return true;
  return RECORD_KEY.test(line);
}

/**
 * undefined when the line holds no key=value pair at all. Pairs are read left to right in one pass:
 * values are strings, and a key without `=` is a flag (true).
 */
export function parseLogfmt(line: string): ParsedLine | undefined {
  const lifter = new FieldLifter();
  let pairs = 0;
  let i = skipBlanks(line, 0);
  while (i < line.length) {
    const keyStart = i;
    while (i < line.length && !isBlank(line.charCodeAt(i)) && line.charCodeAt(i) !== 61 /* = */) i++;
    const key = line.slice(keyStart, i);
    let value: string | true = true;
    if (line.charCodeAt(i) === 61) {
      pairs++;
      if (line.charCodeAt(++i) === 34 /* " */) {
        const end = closingQuote(line, i + 1);
        value = line.slice(i + 1, end);
        if (value.includes('\\')) value = unescape(value);
        i = end + 1;
      } else {
        const valueStart = i;
        while (i < line.length && !isBlank(line.charCodeAt(i))) i++;
        value = line.slice(valueStart, i);
      }
    }
    if (key !== '') lifter.add(key, value);
    i = skipBlanks(line, i);
  }
  return pairs > 0 ? lifter.finish(line) : undefined;
}

/** Index of the quote that ends a value starting at `from`; an unclosed value runs to the end. */
function closingQuote(line: string, from: number): number {
  for (let i = from; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 92 /* \ */) i++;
    else if (c === 34) return i;
  }
  return line.length;
}

const ESCAPES = new Map([['n', '\n'], ['r', '\r'], ['t', '\t'], ['"', '"'], ['\\', '\\']]);

/** Go's strconv.Quote escapes; one we do not know keeps its backslash rather than lose a character. */
function unescape(raw: string): string {
  return raw.replace(/\\(.)/g, (whole: string, c: string) => ESCAPES.get(c) ?? whole);
}

function skipBlanks(line: string, i: number): number {
  while (i < line.length && isBlank(line.charCodeAt(i))) i++;
  return i;
}

/** Space, tab, CR, LF, and the other control characters, which never belong in an unquoted value. */
function isBlank(c: number): boolean {
  return c <= 32;
}

function isKeyStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 /* _ */ || c === 64 /* @ */;
}

function isKeyChar(c: number): boolean {
  return isKeyStart(c) || (c >= 48 && c <= 57) || c === 46 /* . */ || c === 45 /* - */ || c === 47 /* / */;
}
