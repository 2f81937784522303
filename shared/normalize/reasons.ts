// Why a record is refused, said so that the person who reads it (in an agent's log, most often) knows
// what was wrong and what to send instead.

const SEND_A_TIME = 'send ISO 8601 (2026-11-01T10:00:00Z), epoch seconds, milliseconds, microseconds or nanoseconds (a number or digits, told apart by size), or no time field to have the time received used';

/** A time field held something that is no time LogFlow can store. */
export function timeRefusal(key: string, value: unknown): string {
  const shown = show(value);
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value.trim())) {
    return `${key} ${shown} is not a date and time that exists (months 01-12, a day the month has, hours 00-23, minutes and seconds 00-59): ${SEND_A_TIME}`;
  }
  if (typeof value === 'number' || (typeof value === 'string' && /^-?\d+(?:\.\d+)?(?:e[+-]?\d+)?$/i.test(value.trim()))) {
    return `${key} ${shown} is no epoch time after 2000-01-01 (smaller numbers are read as counters, not times): ${SEND_A_TIME}`;
  }
  if (value !== null && typeof value === 'object') {
    return `${key} is ${Array.isArray(value) ? 'an array' : 'an object'} (${shown}), not a time: ${SEND_A_TIME}, or a {"seconds":…,"nanos":…} object`;
  }
  return `${key} ${shown} is not a time LogFlow reads: ${SEND_A_TIME}`;
}

/** A value as JSON, cut to a length that fits in a reason. */
export function show(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
