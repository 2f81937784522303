import { loadSettings } from '../../shared/config.ts';
import { createLogger } from '../../shared/logger.ts';
import { Worker } from '../../server/worker/worker.ts';
import { untilSignal } from '../run.ts';

export async function worker(o: { sinks?: string; consumer?: string; metricsPort?: string }): Promise<void> {
  const settings = loadSettings(process.env, { LOGFLOW_SINKS: o.sinks, LOGFLOW_METRICS_PORT: o.metricsPort });
  const log = createLogger(settings.LOGFLOW_LOG_LEVEL);
  const w = new Worker({ settings, log, consumer: o.consumer });
  await w.start();
  await untilSignal(() => w.close());
}
