export const LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type Level = (typeof LEVELS)[number];

// Names that other loggers use for our four levels (syslog, log4j, Python, Go, pino/bunyan words).
const ALIASES = new Map<string, Level>(Object.entries({
  trace: 'DEBUG', debug: 'DEBUG', dbg: 'DEBUG', verbose: 'DEBUG', fine: 'DEBUG', finer: 'DEBUG', finest: 'DEBUG',
  info: 'INFO', information: 'INFO', informational: 'INFO', notice: 'INFO', inf: 'INFO', log: 'INFO',
  warn: 'WARN', warning: 'WARN', wrn: 'WARN',
  error: 'ERROR', err: 'ERROR', eror: 'ERROR', fatal: 'ERROR', critical: 'ERROR', crit: 'ERROR', panic: 'ERROR',
  alert: 'ERROR', emerg: 'ERROR', emergency: 'ERROR', severe: 'ERROR',
} satisfies Record<string, Level>));

/** Maps a level name in any case, or a common alias, to one of ours; undefined when unknown. */
export function normalizeLevel(name: string): Level | undefined {
  // A Map, not an object: "constructor" or "__proto__" must not find Object.prototype's members.
  return ALIASES.get(name.trim().toLowerCase());
}

/** pino and bunyan write levels as numbers: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal. */
export function levelFromNumber(n: number): Level {
  if (n >= 50) return 'ERROR';
  if (n >= 40) return 'WARN';
  if (n >= 30) return 'INFO';
  return 'DEBUG';
}

/** Parses "ERROR" or "warn,error" into level names; throws a message naming the bad one. */
export function parseLevelList(value: string): Level[] {
  const out: Level[] = [];
  for (const part of value.split(',')) {
    if (!part.trim()) continue;
    const level = normalizeLevel(part);
    if (!level) throw new Error(`unknown level "${part.trim()}": use ${LEVELS.join(', ')}`);
    if (!out.includes(level)) out.push(level);
  }
  return out;
}
