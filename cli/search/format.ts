import type { LogEvent } from '../../shared/event.ts';

export type Output = 'pretty' | 'json' | 'ndjson';

export interface FormatOptions {
  colour: boolean;
  /** Extra fields to show in pretty output: event fields or dotted metadata paths. */
  fields?: string[];
}

const COLOURS: Record<string, string> = { DEBUG: '\x1b[90m', INFO: '\x1b[36m', WARN: '\x1b[33m', ERROR: '\x1b[31m' };
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

/**
 * Log data is never written raw to a terminal: control characters (C0 but newline and tab, DEL, C1)
 * and the bidirectional overrides that reorder what a reader sees are shown as escapes, so a stored
 * "\x1b[2K" or "\x1b]0;title\x07" cannot clear a line, recolour the screen or set the window title.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;

export function escapeControl(text: string): string {
  return text.replace(UNSAFE, (c) => {
    if (c === '\r') return '\\r';
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** JSON as JSON.stringify writes it, with the characters it leaves raw (DEL, C1, bidi overrides) as \u escapes: still the same JSON. */
export function safeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(/[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// Where loggers put the error of an ERROR event: pino/bunyan (err), winston and ECS (error), OTel
// (exception.stacktrace), structlog (exception), Python's logging (exc_info), plain stack.
const ERROR_PATHS = ['err.stack', 'error.stack', 'error.stack_trace', 'exception.stacktrace', 'exception', 'exc_info', 'stack', 'stack_trace', 'err.message', 'error.message', 'error'];

/** A metadata value by dotted path: nested objects, or a key that holds the dots itself. */
export function pathValue(event: LogEvent, path: string): unknown {
  const own = event as unknown as Record<string, unknown>;
  if (!path.includes('.') && Object.hasOwn(own, path) && path !== 'metadata') return own[path];
  let node: unknown = event.metadata;
  const parts = path.split('.');
  for (let i = 0; i < parts.length && node !== undefined; i++) {
    if (node === null || typeof node !== 'object') return undefined;
    const rest = parts.slice(i).join('.');
    if (Object.hasOwn(node, rest)) return (node as Record<string, unknown>)[rest];
    node = Object.hasOwn(node, parts[i]!) ? (node as Record<string, unknown>)[parts[i]!] : undefined;
  }
  return node;
}

function errorText(event: LogEvent): string | undefined {
  if (event.level !== 'ERROR' || !event.metadata) return undefined;
  for (const path of ERROR_PATHS) {
    const v = pathValue(event, path);
    if (typeof v === 'string' && v.trim()) return v;
    if (Array.isArray(v) && v.length && v.every((x) => typeof x === 'string')) return v.join('\n');
  }
  return undefined;
}

function shown(value: unknown): string {
  const text = typeof value === 'string' ? value : safeJson(value);
  return /[\s"]/.test(text) || text === '' ? JSON.stringify(text) : text;
}

/**
 * One line per event: time, level (coloured on a terminal), service, message, then trace_id,
 * request_id and chosen fields as key=value; an ERROR's stack trace or error below it, indented.
 */
export function formatPretty(e: LogEvent, o: FormatOptions): string {
  const level = e.level.padEnd(5);
  const shownLevel = o.colour ? `${COLOURS[e.level] ?? ''}${level}${RESET}` : level;
  const extras: string[] = [];
  for (const k of ['trace_id', 'request_id'] as const) if (e[k]) extras.push(`${k}=${shown(e[k])}`);
  for (const f of o.fields ?? []) {
    const v = pathValue(e, f);
    if (v !== undefined) extras.push(`${f}=${shown(v)}`);
  }
  const extrasText = escapeControl(extras.join(' '));
  const tail = extras.length ? ` ${o.colour ? DIM + extrasText + RESET : extrasText}` : '';
  let out = `${e.timestamp} ${shownLevel} ${escapeControl(e.service)} ${indentLines(escapeControl(e.message), '    ')}${tail}`;
  const err = errorText(e);
  // The message often is the error's first line already; then only the rest adds anything.
  if (err && err.trim() !== e.message.trim()) out += `\n${indentLines(escapeControl(err), '    ', true)}`;
  return out;
}

function indentLines(text: string, indent: string, first = false): string {
  return (first ? indent : '') + text.replace(/\n/g, `\n${indent}`);
}

export function formatEvents(events: LogEvent[], output: Output, o: FormatOptions): string {
  if (output === 'json') return safeJson(events, 2) + '\n';
  if (!events.length) return '';
  const lines = events.map((e) => (output === 'ndjson' ? safeJson(e) : formatPretty(e, o)));
  return lines.join('\n') + '\n';
}
