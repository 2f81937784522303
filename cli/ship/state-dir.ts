import { mkdir, open, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LogFlowError } from '../../shared/errors.ts';

/** ~/.local/state/logflow unless --state-dir or LOGFLOW_STATE_DIR say otherwise (XDG_STATE_HOME honoured). */
export function defaultStateDir(): string {
  const base = process.env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'logflow');
}

/**
 * The directory one shipper owns for a service: checkpoints and spool. A lock file keeps a second
 * `logflow ship` for the same service and state directory from corrupting them; a lock left by a
 * process that is gone is taken over.
 */
export async function claimStateDir(root: string, service: string): Promise<{ dir: string; release: () => Promise<void> }> {
  const dir = path.join(root, service.replace(/[^A-Za-z0-9._-]/g, '_'));
  await mkdir(dir, { recursive: true });
  const lock = path.join(dir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(lock, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return { dir, release: () => rm(lock, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(await readFile(lock, 'utf8').catch(() => ''));
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new LogFlowError('USAGE', `another logflow ship (pid ${pid}) already uses ${dir}: give each shipper its own --service or --state-dir`);
      }
      await rm(lock, { force: true });
    }
  }
  throw new LogFlowError('USAGE', `cannot lock ${dir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
