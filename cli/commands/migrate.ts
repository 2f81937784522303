import { loadSettings } from '../../shared/config.ts';
import { createLogger } from '../../shared/logger.ts';
import { migrate } from '../../server/migrate.ts';

export async function migrateCommand(): Promise<void> {
  const settings = loadSettings();
  await migrate(settings, createLogger(settings.LOGFLOW_LOG_LEVEL));
}
