import type { LogEvent } from '../../shared/event.ts';

const COLOURS: Record<string, string> = { DEBUG: '\x1b[90m', INFO: '\x1b[36m', WARN: '\x1b[33m', ERROR: '\x1b[31m' };
const RESET = '\x1b[0m';

/** One line per event: time, level (coloured on a terminal), service, message. */
export function formatPretty(e: LogEvent, colour: boolean): string {
  const level = e.level.padEnd(5);
  const shownLevel = colour ? `${COLOURS[e.level] ?? ''}${level}${RESET}` : level;
  return `${e.timestamp} ${shownLevel} ${e.service} ${e.message.replace(/\n/g, '\n    ')}`;
}

export function formatEvents(events: LogEvent[], output: 'pretty' | 'json' | 'ndjson', colour: boolean): string {
  if (output === 'json') return JSON.stringify(events, null, 2) + '\n';
  if (!events.length) return '';
  const lines = events.map((e) => (output === 'ndjson' ? JSON.stringify(e) : formatPretty(e, colour)));
  return lines.join('\n') + '\n';
}
