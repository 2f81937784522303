import { ConfigError, errorMessage, LogFlowError } from '../shared/errors.ts';

/** Exit codes every command keeps: 0 success, 1 failure at run time, 2 bad usage or config. */
export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2 } as const;

export function exitCodeFor(err: unknown): number {
  if (err instanceof ConfigError) return EXIT.USAGE;
  if (err instanceof LogFlowError && (err.code === 'USAGE' || err.code === 'CONFIG_INVALID')) return EXIT.USAGE;
  return EXIT.FAILURE;
}

/**
 * Runs a command's body; any failure becomes one line on stderr and the matching exit code. Once the
 * body is done the process exits when nothing is left to do, or once its output is written 2 s later
 * if something else still holds it open (a retry timer of a command that failed half-way): a
 * finished command never hangs.
 */
export async function runCommand(body: () => Promise<number | void>): Promise<void> {
  try {
    const code = await body();
    process.exitCode = code ?? EXIT.OK;
  } catch (err) {
    process.stderr.write(`logflow: ${errorMessage(err).replace(/\s*\n\s*/g, ' ')}\n`);
    process.exitCode = exitCodeFor(err);
  }
  const exitWhenWritten = () => {
    if (process.stdout.writableLength || process.stderr.writableLength) setTimeout(exitWhenWritten, 250).unref();
    else process.exit();
  };
  setTimeout(exitWhenWritten, 2000).unref();
}

/**
 * SIGINT/SIGTERM become close(), bounded in time; a second signal exits at once. Resolves when the
 * process should exit.
 */
export function untilSignal(close: () => Promise<void>, graceMs = 15_000): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) process.exit(130);
      stopping = true;
      process.stderr.write(`logflow: ${signal}: stopping (up to ${graceMs / 1000}s; signal again to exit at once)\n`);
      const timer = setTimeout(() => {
        process.stderr.write('logflow: did not stop in time, exiting\n');
        process.exit(1);
      }, graceMs);
      timer.unref();
      close().finally(() => {
        clearTimeout(timer);
        resolve();
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
