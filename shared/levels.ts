// The one list of level names LogFlow knows, wherever a level is read: a JSON or logfmt field, a word
// in a text line, a bracketed word that starts a multiline record, a numeric level, a search filter.

export const LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type Level = (typeof LEVELS)[number];

/**
 * Where a name is trusted as a level: `word` anywhere in a text line (a whole word), `bracketed` only
 * as `[name]` at the start of a line, `field` only as the value of a level field. A short or common
 * word (`err`, `alert`, `log`, `http`) said in prose is not a level, but `level=err` is.
 */
type Trust = 'word' | 'bracketed' | 'field';

// syslog, log4j, Python, Go (slog, zap), Java util logging, pino/bunyan and winston names.
const NAMES: readonly (readonly [name: string, level: Level, trust: Trust])[] = [
  ['trace', 'DEBUG', 'word'], ['debug', 'DEBUG', 'word'], ['dbg', 'DEBUG', 'bracketed'], ['verbose', 'DEBUG', 'bracketed'],
  ['silly', 'DEBUG', 'field'], ['fine', 'DEBUG', 'field'], ['finer', 'DEBUG', 'field'], ['finest', 'DEBUG', 'field'],
  ['info', 'INFO', 'word'], ['notice', 'INFO', 'word'], ['inf', 'INFO', 'bracketed'], ['information', 'INFO', 'bracketed'],
  ['informational', 'INFO', 'bracketed'], ['log', 'INFO', 'field'], ['http', 'INFO', 'field'],
  ['warn', 'WARN', 'word'], ['warning', 'WARN', 'word'], ['wrn', 'WARN', 'bracketed'],
  ['error', 'ERROR', 'word'], ['fatal', 'ERROR', 'word'], ['critical', 'ERROR', 'word'], ['crit', 'ERROR', 'word'],
  ['panic', 'ERROR', 'word'], ['severe', 'ERROR', 'word'], ['emerg', 'ERROR', 'word'], ['err', 'ERROR', 'bracketed'],
  ['eror', 'ERROR', 'bracketed'], ['alert', 'ERROR', 'bracketed'], ['emergency', 'ERROR', 'bracketed'], ['dpanic', 'ERROR', 'bracketed'],
];

// A Map, not an object: "constructor" or "__proto__" must not find Object.prototype's members.
const BY_NAME = new Map<string, Level>(NAMES.map(([name, level]) => [name, level]));

/** Maps a level name in any case, or a common alias, to one of ours; undefined when unknown. */
export function normalizeLevel(name: string): Level | undefined {
  return BY_NAME.get(name.trim().toLowerCase());
}

/**
 * The names trusted in a text line (`word`), or also as a bracketed record start (`bracketed`), as a
 * regular-expression alternation: longest first, no nested quantifiers, so it cannot backtrack.
 */
export function levelWordAlternation(where: 'word' | 'bracketed'): string {
  const names = NAMES.filter(([, , trust]) => trust === 'word' || (where === 'bracketed' && trust === 'bracketed')).map(([name]) => name);
  return names.sort((a, b) => b.length - a.length).join('|');
}

/**
 * A numeric level: syslog's 0-7 (lower is worse: 0-3 emergency to error, 4 warning, 5-6 notice and
 * info, 7 debug), pino's and bunyan's 10-60 (10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal).
 * Above 60 is a custom level beyond fatal: ERROR. 8, 9, negative numbers and fractions below 10 are no
 * level we know (undefined): the caller keeps them as data.
 */
export function levelFromNumber(n: number): Level | undefined {
  if (!Number.isFinite(n) || n < 0) return undefined;
  if (n < 10) {
    if (!Number.isInteger(n) || n > 7) return undefined;
    return n <= 3 ? 'ERROR' : n === 4 ? 'WARN' : n === 7 ? 'DEBUG' : 'INFO';
  }
  if (n >= 50) return 'ERROR';
  if (n >= 40) return 'WARN';
  if (n >= 30) return 'INFO';
  return 'DEBUG';
}

/**
 * OpenTelemetry's SeverityNumber: 1-4 TRACE, 5-8 DEBUG, 9-12 INFO, 13-16 WARN, 17-20 ERROR, 21-24 FATAL;
 * above 24, ERROR. 0 is SEVERITY_NUMBER_UNSPECIFIED: undefined.
 */
export function levelFromSeverityNumber(n: number): Level | undefined {
  if (!Number.isFinite(n) || n < 1) return undefined;
  if (n >= 17) return 'ERROR';
  if (n >= 13) return 'WARN';
  if (n >= 9) return 'INFO';
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
