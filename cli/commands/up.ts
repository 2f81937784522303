import { loadSettings } from '../../shared/config.ts';
import { createLogger } from '../../shared/logger.ts';
import { Metrics } from '../../server/metrics/metrics.ts';
import { migrate } from '../../server/migrate.ts';
import { startServer } from '../../server/server.ts';
import { Worker } from '../../server/worker/worker.ts';
import { untilSignal } from '../run.ts';

export async function up(o: { host?: string; port?: string; sinks?: string }): Promise<void> {
  const settings = loadSettings(process.env, { LOGFLOW_HOST: o.host, LOGFLOW_PORT: o.port, LOGFLOW_SINKS: o.sinks });
  const log = createLogger(settings.LOGFLOW_LOG_LEVEL);
  await migrate(settings, log, { storesMayWait: true });
  // One set of metrics for both halves: the server's GET /metrics shows the worker's sinks too.
  const metrics = new Metrics();
  const worker = new Worker({ settings, log, metrics });
  await worker.start();
  const running = await startServer(settings, log, { metrics }).catch(async (err) => {
    await worker.close();
    throw err;
  });
  await untilSignal(async () => {
    await running.close();
    await worker.close();
  });
}
