import { describe, expect, it } from 'vitest';
import { levelFromNumber, levelFromSeverityNumber, levelWordAlternation, normalizeLevel, parseLevelList } from './levels.ts';

describe('when a level is a number', () => {
  it('does read pino and bunyan levels, and a custom level above fatal as ERROR', () => {
    expect([10, 20, 30, 40, 50, 60, 35].map(levelFromNumber)).toEqual(['DEBUG', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'ERROR', 'INFO']);
    expect([70, 100, 1e6].map(levelFromNumber)).toEqual(['ERROR', 'ERROR', 'ERROR']);
  });

  it('does read syslog severities, where lower is worse', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map(levelFromNumber)).toEqual(['ERROR', 'ERROR', 'ERROR', 'ERROR', 'WARN', 'INFO', 'INFO', 'DEBUG']);
  });

  it('does not guess at numbers that are no level we know', () => {
    for (const n of [8, 9, 2.5, -1, Number.NaN, Number.POSITIVE_INFINITY]) expect(levelFromNumber(n), String(n)).toBeUndefined();
  });

  it('does read OpenTelemetry severity numbers, above FATAL4 as ERROR', () => {
    expect([1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 30].map(levelFromSeverityNumber)).toEqual(['DEBUG', 'DEBUG', 'DEBUG', 'DEBUG', 'INFO', 'INFO', 'WARN', 'WARN', 'ERROR', 'ERROR', 'ERROR', 'ERROR', 'ERROR']);
    expect(levelFromSeverityNumber(0)).toBeUndefined();
  });
});

describe('when a level is a name', () => {
  it('does read the names other loggers use, winston\'s http and silly too, in any case', () => {
    const names = { WARNING: 'WARN', fatal: 'ERROR', Critical: 'ERROR', http: 'INFO', silly: 'DEBUG', verbose: 'DEBUG', notice: 'INFO', emerg: 'ERROR', dpanic: 'ERROR', trace: 'DEBUG' };
    for (const [name, level] of Object.entries(names)) expect(normalizeLevel(name), name).toBe(level);
    expect(parseLevelList('warning,http')).toEqual(['WARN', 'INFO']);
  });

  it('does not take Object.prototype members for names', () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) expect(normalizeLevel(name)).toBeUndefined();
  });

  it('does trust short and common names only in brackets or fields, never as a word in prose', () => {
    const word = new RegExp(`^(?:${levelWordAlternation('word')})$`, 'i');
    const bracketed = new RegExp(`^(?:${levelWordAlternation('bracketed')})$`, 'i');
    for (const name of ['error', 'warning', 'crit', 'emerg', 'notice']) expect(word.test(name), name).toBe(true);
    for (const name of ['err', 'alert', 'log', 'http', 'silly']) expect(word.test(name), name).toBe(false);
    for (const name of ['err', 'alert', 'dbg', 'warning']) expect(bracketed.test(name), name).toBe(true);
    for (const name of ['log', 'http']) expect(bracketed.test(name), name).toBe(false);
  });
});
