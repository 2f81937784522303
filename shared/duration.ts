// Durations like "15m", "1h", "7d", as Loki and Grafana users type them.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;

/** Milliseconds in a duration such as "1h" or "90s"; undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNIT_MS[m[2]!]!);
}

const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * Epoch milliseconds of an ISO 8601 date-time (UTC when it names no offset); undefined when invalid,
 * including a date that does not exist: Date.parse rolls 2026-02-30 over into March and 24:00 into the
 * next day, which would store an event on a day its sender never named.
 */
export function parseIsoTime(text: string): number | undefined {
  const t = text.trim();
  const m = ISO_8601.exec(t);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (m[4] !== undefined && (Number(m[4]) > 23 || Number(m[5]) > 59 || (m[6] !== undefined && Number(m[6]) > 59))) return undefined;
  let normalized = t.replace(' ', 'T').replace(',', '.');
  if (/^\d{4}-\d{2}-\d{2}$/.test(normalized)) normalized += 'T00:00:00Z';
  else if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(normalized)) normalized += 'Z';
  const ms = Date.parse(normalized);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Days in a month of the proleptic Gregorian calendar. */
export function daysInMonth(year: number, month: number): number {
  if (month !== 2) return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
}

/**
 * A time bound for a query: an ISO 8601 instant, or a duration meaning "that long before now".
 * Throws with a message a person can act on.
 */
export function parseTimeBound(text: string, now: number = Date.now()): number {
  const iso = parseIsoTime(text);
  if (iso !== undefined) return iso;
  const d = parseDuration(text);
  if (d !== undefined) return now - d;
  throw new Error(`"${text}" is neither an ISO 8601 time (2026-11-01T10:00:00Z) nor a duration (15m, 1h, 7d)`);
}
