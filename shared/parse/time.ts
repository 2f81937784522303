// Times in log lines to ISO 8601 UTC. Date.parse and Date#toISOString cost ~250 ns and ~500 ns a call
// on Node 20, more than the rest of a line's parse, so the shapes loggers actually write are read and
// written by hand here; anything else goes through shared/duration.ts's parseIsoTime.
import { daysInMonth, parseIsoTime } from '../duration.ts';

/** The range of a JavaScript Date. */
const MAX_TIME_MS = 8.64e15;
/** A numeric time earlier than 2000-01-01 is an uptime counter, not a wall-clock time. */
const MIN_EPOCH_MS = 946_684_800_000;
/** 10000-01-01: from there on toISOString writes a six-digit year, which we leave to it. */
const YEAR_10000_MS = 253_402_300_800_000;
const EPOCH_DIGITS = /^\d{9,19}(?:\.\d+)?$/;

/**
 * An ISO 8601 string, epoch seconds / ms / µs / ns as a number or as digits, or a protobuf Timestamp
 * object `{"seconds":…,"nanos":…}` (Google Cloud Logging's structured `timestamp`); undefined otherwise.
 */
export function toIsoTime(value: unknown): string | undefined {
  let ms: number | undefined;
  if (typeof value === 'number') ms = fromEpoch(value);
  else if (value !== null && typeof value === 'object') ms = fromSecondsAndNanos(value as Record<string, unknown>);
  else if (typeof value === 'string' && value.length >= 9 && value.length <= 40) {
    ms = readTime(value, 0, false);
    // Already as toISOString writes it (bunyan, winston, ECS): keep the string rather than build a copy.
    if (ms !== undefined && value.length === 24 && value.charCodeAt(23) === 90 && value.charCodeAt(10) === 84 && value.charCodeAt(19) === 46) return value;
    ms ??= parseIsoTime(value);
    if (ms === undefined && EPOCH_DIGITS.test(value)) ms = fromEpoch(Number(value));
  }
  return ms === undefined ? undefined : formatIso(ms);
}

function fromSecondsAndNanos(value: Record<string, unknown>): number | undefined {
  const seconds = Number(value.seconds);
  const nanos = value.nanos === undefined ? 0 : Number(value.nanos);
  if (typeof value.seconds !== 'number' && typeof value.seconds !== 'string') return undefined;
  if (!Number.isInteger(seconds) || !Number.isInteger(nanos) || nanos < 0 || nanos >= 1e9) return undefined;
  const ms = seconds * 1000 + Math.floor(nanos / 1e6);
  return ms >= MIN_EPOCH_MS ? ms : undefined;
}

/** The unit is told by size: epoch seconds are ~1.7e9 today, ms ~1.7e12, µs ~1.7e15, ns ~1.7e18. */
function fromEpoch(n: number): number | undefined {
  if (!Number.isFinite(n)) return undefined;
  const ms = n > 1e17 ? n / 1e6 : n > 1e14 ? n / 1e3 : n > 1e11 ? n : n * 1000;
  return ms >= MIN_EPOCH_MS ? ms : undefined;
}

/** Epoch ms of an ISO 8601 time (UTC when it names no offset), as parseIsoTime answers, only faster. */
export function isoToMs(text: string): number | undefined {
  return readTime(text, 0, false) ?? parseIsoTime(text);
}

/**
 * Epoch ms of a time at `start` of a text line, followed by anything; also `2026/11/01 10:00:00` as Go's
 * log package and nginx's error log write it. A time without an offset is taken as UTC.
 */
export function leadingTimeMs(line: string, start: number): number | undefined {
  return readTime(line, start, true);
}

/**
 * `YYYY-MM-DD(T| )HH:MM:SS[.,fraction][Z|±HH:MM|±HHMM]`, the shape nearly every logger writes, read in
 * place (no substring: a sliced or concatenated string would be copied before charCodeAt reads it).
 * Whole-string mode answers undefined for anything else, so that parseIsoTime decides those.
 */
function readTime(s: string, start: number, inText: boolean): number | undefined {
  const dash = s.charCodeAt(start + 4);
  const sep = s.charCodeAt(start + 10);
  if (s.length < start + 19 || !(dash === 45 || (inText && dash === 47)) || s.charCodeAt(start + 7) !== dash || (sep !== 84 && sep !== 32)) return undefined;
  if (s.charCodeAt(start + 13) !== 58 || s.charCodeAt(start + 16) !== 58) return undefined;
  let i = start + 19;
  let millis = 0;
  const mark = s.charCodeAt(i);
  if (mark === 46 || mark === 44) {
    // Milliseconds are the first three digits; finer ones are dropped, as Date.parse does.
    const first = ++i;
    for (let scale = 100; isDigit(s.charCodeAt(i)); i++, scale /= 10) if (scale >= 1) millis += (s.charCodeAt(i) - 48) * scale;
    if (i === first) return undefined;
  }
  const offset = offsetMinutes(s, i, inText);
  if (offset === undefined) return undefined;
  const year = digits(s, start, 4);
  const month = digits(s, start + 5, 2);
  const day = digits(s, start + 8, 2);
  return utcMs(year, month, day, digits(s, start + 11, 2), digits(s, start + 14, 2), digits(s, start + 17, 2), millis, offset);
}

/** Minutes east of UTC written at `i`: nothing, `Z`, `±HH:MM` or `±HHMM`. In text, anything else is "none". */
function offsetMinutes(s: string, i: number, inText: boolean): number | undefined {
  if (i === s.length) return 0;
  const c = s.charCodeAt(i);
  if (c === 90 /* Z */) return inText || i + 1 === s.length ? 0 : undefined;
  if (c === 43 || c === 45) {
    const colon = s.charCodeAt(i + 3) === 58 ? 1 : 0;
    const hours = digits(s, i + 1, 2);
    const minutes = digits(s, i + 3 + colon, 2);
    const valid = hours >= 0 && hours <= 23 && minutes >= 0 && minutes <= 59;
    if (valid && (inText || s.length === i + 5 + colon)) return (c === 45 ? -1 : 1) * (hours * 60 + minutes);
  }
  return inText ? 0 : undefined;
}

/**
 * Epoch ms of a UTC calendar time less `offset` minutes; undefined when a field is out of range (-1 is
 * how `digits` says "not a number"), where Date would roll over into the next day or month instead.
 */
export function utcMs(year: number, month: number, day: number, hour: number, minute: number, second: number, millis: number, offset: number): number | undefined {
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  return daysSinceEpoch(year, month, day) * 86_400_000 + ((hour * 60 + minute - offset) * 60 + second) * 1000 + millis;
}

/** The number written in `length` digits at `start`, or -1. */
function digits(s: string, start: number, length: number): number {
  let n = 0;
  for (let i = start; i < start + length; i++) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) return -1;
    n = n * 10 + c - 48;
  }
  return n;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Days from 1970-01-01 to a date of the proleptic Gregorian calendar (H. Hinnant's days_from_civil). */
function daysSinceEpoch(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  return era * 146_097 + yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear - 719_468;
}

const TWO_DIGITS = Array.from({ length: 60 }, (_, n) => String(n).padStart(2, '0'));
const MILLIS_Z = Array.from({ length: 1000 }, (_, n) => `.${String(n).padStart(3, '0')}Z`);
// Lines come in time order, so the minute rarely changes between two of them: its "YYYY-MM-DDTHH:MM:"
// is kept and only the seconds are written. Remembering it does not change any answer.
let cachedMinute = Number.NaN;
let cachedPrefix = '';

/** What `new Date(ms).toISOString()` returns, or undefined when no Date can hold `ms`. */
export function formatIso(ms: number): string | undefined {
  if (!(Math.abs(ms) <= MAX_TIME_MS)) return undefined;
  if (ms < 0 || ms >= YEAR_10000_MS) return new Date(ms).toISOString();
  const whole = Math.floor(ms); // Date drops fractions of a millisecond too
  const minute = Math.floor(whole / 60_000);
  if (minute !== cachedMinute) {
    cachedPrefix = minutePrefix(minute);
    cachedMinute = minute;
  }
  const rest = whole - minute * 60_000;
  const second = Math.floor(rest / 1000);
  return cachedPrefix + TWO_DIGITS[second]! + MILLIS_Z[rest - second * 1000]!;
}

/** "YYYY-MM-DDTHH:MM:" of a minute since the epoch (H. Hinnant's civil_from_days), for years 0..9999. */
function minutePrefix(minutes: number): string {
  const days = Math.floor(minutes / 1440);
  const minuteOfDay = minutes - days * 1440;
  const shifted = days + 719_468;
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const hour = Math.floor(minuteOfDay / 60);
  return `${String(year).padStart(4, '0')}-${TWO_DIGITS[month]}-${TWO_DIGITS[day]}T${TWO_DIGITS[hour]}:${TWO_DIGITS[minuteOfDay - hour * 60]}:`;
}
