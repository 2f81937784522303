import type { LogEvent } from '../../shared/event.ts';

// How the page writes times, counts and an event's fields. Pure functions (format.test.ts).

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** "11-01 10:00:05.123" in the browser's time zone: dense, sortable, the year left to the details. */
export function shortTime(ms: number): { date: string; time: string } {
  const d = new Date(ms);
  return {
    date: `${pad(d.getMonth() + 1)}-${pad(d.getDate())}`,
    time: `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`,
  };
}

/** "2026-11-01 10:00:05" in the browser's time zone. */
export function localTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "2026-11-01 10:00:00 – 11:00:00": the end's date only when it is another day. */
export function rangeText(fromMs: number, toMs: number): string {
  const [from, to] = [localTime(fromMs), localTime(toMs)];
  return from.slice(0, 10) === to.slice(0, 10) ? `${from} – ${to.slice(11)}` : `${from} – ${to}`;
}

/** The value of a datetime-local input (local time, to the second) for an instant. */
export function toLocalInput(ms: number): string {
  return localTime(ms).replace(' ', 'T');
}

/** "UTC", "UTC+01:00": what the times on the page are in. */
export function zoneLabel(ms = Date.now()): string {
  const offset = -new Date(ms).getTimezoneOffset();
  if (offset === 0) return 'UTC';
  const a = Math.abs(offset);
  return `UTC${offset > 0 ? '+' : '-'}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** "1m", "5s", "1h": a bucket width. */
export function interval(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** One field of an event as the details table shows it: its query key (when it has one) and its value as text. */
export interface FieldRow {
  /** The name shown: `service`, `err.code`. */
  name: string;
  /** The key to filter on in a query, or undefined when the grammar cannot filter on it (message, times, objects). */
  key?: string;
  text: string;
  /** The value filtered on: the string itself, or a number or boolean as JSON writes it. */
  value?: string;
}

const TOP_FIELDS = ['timestamp', 'level', 'service', 'message', 'host', 'env', 'trace_id', 'request_id', 'event_id', 'ingest_ts'] as const;
const NOT_FILTERABLE = new Set(['timestamp', 'message', 'ingest_ts']);

/** Every field of an event, the known ones first, metadata flattened to dotted paths as the query names them. */
export function eventFields(event: LogEvent): FieldRow[] {
  const rows: FieldRow[] = [];
  for (const name of TOP_FIELDS) {
    const v = event[name];
    if (v === undefined || v === null) continue;
    rows.push(NOT_FILTERABLE.has(name) ? { name, text: String(v) } : { name, key: name, text: String(v), value: String(v) });
  }
  flatten(event.metadata ?? {}, '', rows, 0);
  return rows;
}

function flatten(obj: Record<string, unknown>, prefix: string, rows: FieldRow[], depth: number): void {
  for (const [k, v] of Object.entries(obj)) {
    const name = prefix + k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && depth < 8 && Object.keys(v).length > 0) {
      flatten(v as Record<string, unknown>, `${name}.`, rows, depth + 1);
    } else if (typeof v === 'string') {
      rows.push({ name, key: name, text: v, value: v });
    } else if (typeof v === 'number' || typeof v === 'boolean') {
      rows.push({ name, key: name, text: String(v), value: String(v) });
    } else {
      rows.push({ name, text: JSON.stringify(v) });
    }
  }
}
