import os from 'node:os';
import path from 'node:path';
import { loadSettings } from '../../shared/config.ts';
import { parseDuration } from '../../shared/duration.ts';
import { LogFlowError } from '../../shared/errors.ts';
import { MAX_MESSAGE_BYTES } from '../../shared/limits.ts';
import { createLogger } from '../../shared/logger.ts';
import { parseBytes } from '../../shared/size.ts';
import { LogFlowClient } from '../client.ts';
import { EXIT } from '../run.ts';
import { CheckpointStore } from '../ship/sources/checkpoints.ts';
import { Delivery } from '../ship/delivery/delivery.ts';
import { parseFields } from '../ship/transforms/event-encoder.ts';
import type { LineFormat } from '../../shared/parse/line.ts';
import { Shipper } from '../ship/shipper.ts';
import { DiskSpool } from '../ship/delivery/spool.ts';
import { claimStateDir, defaultStateDir } from '../ship/state-dir.ts';
import { statusLine } from '../ship/status.ts';
import { StdinSource } from '../ship/sources/stdin-source.ts';

export interface ShipOptions {
  service: string;
  url?: string;
  apiKey?: string;
  format: LineFormat;
  env?: string;
  host?: string;
  field: string[];
  exclude: string[];
  stateDir?: string;
  fromBeginning?: boolean;
  multilineStart?: string;
  maxEventBytes: string;
  batchSize: string;
  batchBytes: string;
  flushInterval: string;
  concurrency: string;
  memoryLimit: string;
  spoolMax: string;
  whenFull: 'block' | 'drop-oldest';
  drainTimeout: string;
  rotateWait: string;
  releaseDeletedAfter: string;
  quiet?: boolean;
}

const usage = (message: string) => new LogFlowError('USAGE', message);

function duration(name: string, value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw usage(`--${name} "${value}" is not a duration like 500ms, 1s or 2m`);
  return ms;
}

function bytes(name: string, value: string): number {
  const n = parseBytes(value);
  if (n === undefined || n < 1) throw usage(`--${name} "${value}" is not a size like 512KiB, 64MiB or 1GiB`);
  return n;
}

function whole(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw usage(`--${name} must be a whole number from ${min} to ${max}`);
  return n;
}

function regex(value: string | undefined): RegExp | undefined {
  if (value === undefined) return undefined;
  try {
    return new RegExp(value);
  } catch (err) {
    throw usage(`--multiline-start is not a valid regular expression: ${(err as Error).message}`);
  }
}

export async function ship(files: string[], o: ShipOptions): Promise<number> {
  const settings = loadSettings(process.env, { LOGFLOW_URL: o.url, LOGFLOW_API_KEY: o.apiKey, LOGFLOW_STATE_DIR: o.stateDir });
  let fields: Record<string, string>;
  try {
    fields = parseFields(o.field);
  } catch (err) {
    throw usage((err as Error).message);
  }
  // Said rather than ignored: someone who passed them expects files to be read, and none are.
  if (!files.length && (o.exclude.length || o.fromBeginning)) throw usage(`${o.exclude.length ? '--exclude' : '--from-beginning'} applies to the files ship tails, and none are named: give file paths or globs, or leave it out to read stdin`);
  const maxEventBytes = bytes('max-event-bytes', o.maxEventBytes);
  if (maxEventBytes > MAX_MESSAGE_BYTES) throw usage(`--max-event-bytes can be at most ${MAX_MESSAGE_BYTES} (the server's limit for a message)`);
  const client = new LogFlowClient(settings.LOGFLOW_URL, settings.LOGFLOW_API_KEY, 8);
  // Piping an app into ship should not fill the terminal with our own chatter: warnings only, unless
  // asked. Tailing files, which files are taken up and let go is worth a line each.
  const level = process.env.LOGFLOW_LOG_LEVEL ? settings.LOGFLOW_LOG_LEVEL : files.length ? 'info' : 'warn';
  const log = createLogger(o.quiet ? 'error' : level, 'logflow-ship');
  const state = await claimStateDir(path.resolve(settings.LOGFLOW_STATE_DIR ?? defaultStateDir()), o.service);
  try {
    const spool = await DiskSpool.open(path.join(state.dir, 'spool'), bytes('spool-max', o.spoolMax));
    if (spool.lines) log.warn({ events: spool.lines }, 'delivering events spooled by an earlier run first');
    const delivery = new Delivery({ client, log, spool, concurrency: whole('concurrency', o.concurrency, 1, 64), memoryBytes: bytes('memory-limit', o.memoryLimit), whenFull: o.whenFull });
    const shipper = new Shipper({
      delivery,
      log,
      context: { service: o.service, env: o.env, host: o.host ?? os.hostname(), fields },
      format: o.format,
      multiline: { startPattern: regex(o.multilineStart), maxBytes: maxEventBytes, idleMs: 1000 },
      batchSize: whole('batch-size', o.batchSize, 1, 10_000),
      batchBytes: bytes('batch-bytes', o.batchBytes),
      flushIntervalMs: duration('flush-interval', o.flushInterval),
    });
    const checkpoints = await CheckpointStore.open(state.dir);
    return await run(files, o, { delivery, shipper, checkpoints, log, settingsUrl: settings.LOGFLOW_URL, spoolDir: path.join(state.dir, 'spool') });
  } finally {
    await state.release();
    await client.close();
  }
}

interface Parts {
  delivery: Delivery;
  shipper: Shipper;
  checkpoints: CheckpointStore;
  log: ReturnType<typeof createLogger>;
  settingsUrl: string;
  spoolDir: string;
}

async function run(files: string[], o: ShipOptions, { delivery, shipper, checkpoints, log, settingsUrl, spoolDir }: Parts): Promise<number> {
  const drainMs = duration('drain-timeout', o.drainTimeout);
  const partialIdleMs = 5000;
  delivery.start();
  // Only a shipper of files loads the file watcher and globbing: a stdin sidecar starts smaller.
  const fileSource = files.length
    ? new (await import('../ship/sources/file-source.ts')).FileSource({ patterns: files, exclude: o.exclude, fromBeginning: Boolean(o.fromBeginning), shipper, checkpoints, log, partialIdleMs, rotateWaitMs: duration('rotate-wait', o.rotateWait), releaseDeletedAfterMs: duration('release-deleted-after', o.releaseDeletedAfter) })
    : undefined;
  const stdin = files.length ? undefined : new StdinSource(process.stdin, shipper, partialIdleMs);

  let signalled = false;
  let wake!: () => void;
  const stopped = new Promise<void>((resolve) => (wake = resolve));
  const halt = () => {
    delivery.stopping();
    stdin?.stop();
    wake();
  };
  const onSignal = () => {
    signalled = true;
    halt();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const showStatus = Boolean(process.stderr.isTTY) && !o.quiet;
  const status = () => statusLine(shipper.stats, delivery.stats, delivery.spooledLines, fileSource?.files);
  const ticker = setInterval(() => {
    shipper.tick();
    if (delivery.fatal) halt();
  }, 200);
  const saver = setInterval(() => void checkpoints.save().catch((err) => log.warn({ err: (err as Error).message }, 'could not save checkpoints')), 1000);
  const painter = showStatus ? setInterval(() => process.stderr.write(`\r\x1b[K${status()}`), 2000) : undefined;

  try {
    if (fileSource) {
      await fileSource.start();
      await stopped;
      await fileSource.close();
    } else {
      await Promise.race([stdin!.run(), stopped]);
    }
    await shipper.finish();
  } finally {
    clearInterval(ticker);
    clearInterval(painter);
  }
  const waiting = await delivery.drain(delivery.fatal ? 0 : drainMs);
  clearInterval(saver);
  await checkpoints.save();
  if (showStatus) process.stderr.write('\r\x1b[K');
  if (!o.quiet) process.stderr.write(`logflow ship: ${status()}\n`);
  if (fileSource?.lostBytes) {
    process.stderr.write(`logflow: ${fileSource.lostBytes} bytes of deleted files were let go unread: output was full for longer than --release-deleted-after ${o.releaseDeletedAfter}\n`);
  }
  if (delivery.unkept) {
    // A file's checkpoint never passes an event that was not kept: the next start reads it again.
    const fate = files.length ? 'the next start reads them again from the files' : 'they are lost';
    process.stderr.write(`logflow: ${delivery.unkept} events could be neither delivered nor written to the spool (${spoolDir}): ${fate}\n`);
    return EXIT.FAILURE;
  }
  if (delivery.fatal) {
    process.stderr.write(`logflow: ${delivery.fatal.message}${waiting ? `; ${waiting} events wait in the spool (${spoolDir}) for the next run` : ''}\n`);
    return EXIT.FAILURE;
  }
  if (waiting) {
    process.stderr.write(`logflow: the server at ${settingsUrl} did not take every event within --drain-timeout ${o.drainTimeout}: ${waiting} events wait in the spool (${spoolDir}) and go first on the next run\n`);
    return signalled ? EXIT.OK : EXIT.FAILURE;
  }
  if (delivery.stats.rejected) {
    process.stderr.write(`logflow: the server refused ${delivery.stats.rejected} events (reasons above); the rest were delivered\n`);
    return EXIT.FAILURE;
  }
  return EXIT.OK;
}
