import { loadSettings } from '../../shared/config.ts';
import { createLogger } from '../../shared/logger.ts';
import { startServer } from '../../server/server.ts';
import { untilSignal } from '../run.ts';

export async function server(o: { host?: string; port?: string }): Promise<void> {
  const settings = loadSettings(process.env, { LOGFLOW_HOST: o.host, LOGFLOW_PORT: o.port });
  const log = createLogger(settings.LOGFLOW_LOG_LEVEL);
  const running = await startServer(settings, log);
  await untilSignal(() => running.close());
}
