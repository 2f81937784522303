import { loadSettings } from '../../shared/config.ts';
import { createLogger } from '../../shared/logger.ts';
import { migrate } from '../../server/migrate.ts';
import { startServer } from '../../server/server.ts';
import { Worker } from '../../server/worker/worker.ts';
import { untilSignal } from '../run.ts';

export async function up(o: { host?: string; port?: string; sinks?: string }): Promise<void> {
  const settings = loadSettings(process.env, { LOGFLOW_HOST: o.host, LOGFLOW_PORT: o.port, LOGFLOW_SINKS: o.sinks });
  const log = createLogger(settings.LOGFLOW_LOG_LEVEL);
  await migrate(settings, log, { storesMayWait: true });
  const worker = new Worker({ settings, log });
  await worker.start();
  const running = await startServer(settings, log).catch(async (err) => {
    await worker.close();
    throw err;
  });
  await untilSignal(async () => {
    await running.close();
    await worker.close();
  });
}
