import os from 'node:os';
import { loadSettings } from '../../shared/config.ts';
import { parseDuration } from '../../shared/duration.ts';
import { LogFlowError } from '../../shared/errors.ts';
import { createLogger } from '../../shared/logger.ts';
import { LogFlowClient } from '../client.ts';
import { EXIT } from '../run.ts';
import { parseFields } from '../ship/event-builder.ts';
import type { LineFormat } from '../ship/parse.ts';
import { StdinShipper } from '../ship/stdin-shipper.ts';

interface ShipOptions {
  service: string;
  url?: string;
  apiKey?: string;
  format: LineFormat;
  env?: string;
  host?: string;
  field: string[];
  batchSize: string;
  flushInterval: string;
  drainTimeout: string;
  quiet?: boolean;
}

const usage = (message: string) => new LogFlowError('USAGE', message);

function durationFlag(name: string, value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw usage(`--${name} "${value}" is not a duration like 500ms, 1s or 2m`);
  return ms;
}

export async function ship(o: ShipOptions): Promise<number> {
  const settings = loadSettings(process.env, { LOGFLOW_URL: o.url, LOGFLOW_API_KEY: o.apiKey });
  const batchSize = Number(o.batchSize);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw usage('--batch-size must be a whole number from 1 to 10000');
  let fields: Record<string, string>;
  try {
    fields = parseFields(o.field);
  } catch (err) {
    throw usage((err as Error).message);
  }
  const log = createLogger(o.quiet ? 'error' : settings.LOGFLOW_LOG_LEVEL, 'logflow-ship');
  const client = new LogFlowClient(settings.LOGFLOW_URL, settings.LOGFLOW_API_KEY, 4);
  const shipper = new StdinShipper({
    input: process.stdin,
    client,
    log,
    context: { service: o.service, env: o.env, host: o.host ?? os.hostname(), fields },
    format: o.format,
    batchSize,
    batchBytes: 1024 * 1024,
    flushIntervalMs: durationFlag('flush-interval', o.flushInterval),
    drainTimeoutMs: durationFlag('drain-timeout', o.drainTimeout),
    concurrency: 2,
  });
  const onSignal = () => shipper.stop();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const s = await shipper.run();
    if (!o.quiet) process.stderr.write(`logflow ship: ${s.read} lines read, ${s.accepted} accepted, ${s.rejected} refused, ${s.undelivered} not delivered\n`);
    if (s.undelivered > 0) {
      process.stderr.write(`logflow: ${s.undelivered} lines could not be delivered before the drain timeout (${o.drainTimeout}): the server at ${settings.LOGFLOW_URL} did not take them\n`);
      return EXIT.FAILURE;
    }
    return s.rejected > 0 ? EXIT.FAILURE : EXIT.OK;
  } finally {
    await client.close();
  }
}
