import { pino, type Logger } from 'pino';

export type { Logger };

/** LogFlow's own diagnostics: structured pino lines on stderr, never mixed into stdout or shipped data. */
export function createLogger(level = process.env.LOGFLOW_LOG_LEVEL ?? 'info', name = 'logflow'): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination({ fd: 2, sync: true }));
}
