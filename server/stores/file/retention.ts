import { createReadStream } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { LogFlowError } from '../../../shared/errors.ts';
import { projectCutoff } from '../../../shared/retention.ts';
import { bucketNamed, spanOf } from '../time-bucket.ts';
import type { Removal, StoreRetention } from '../types.ts';

// The archive is a directory per project (sink.ts), so a project's retention is its own: a file goes
// once its whole period (day, month) is past it. older.log holds events that were already two years
// old when they came; it goes once its newest event is past retention, read from the file itself.
// Files are removed on the machine the worker runs on: the run record names the host and directory,
// so each machine with a file sink keeps its own archive.

export function createFileRetention({ dir }: { dir: string }): StoreRetention {
  const root = path.resolve(dir);
  return {
    store: 'file',
    target: `file:${os.hostname()}:${root}`,
    async apply(policy, { nowMs, dryRun }) {
      const removals: Removal[] = [];
      for (const project of await list(root)) {
        if (!/^\d+$/.test(project)) continue;
        const projectId = Number(project);
        const cutoff = projectCutoff(policy, projectId, nowMs);
        for (const name of await list(path.join(root, project))) {
          const bucket = name.endsWith('.log') ? bucketNamed(name.slice(0, -4), '-') : undefined;
          if (!bucket) continue;
          const file = path.join(root, project, name);
          const endMs = spanOf(bucket)?.endMs ?? (await latestIn(file));
          if (endMs > cutoff) continue;
          const { size } = await stat(file);
          if (!dryRun) await rm(file, { force: true });
          removals.push({ store: 'file', kind: 'file', name: path.join(project, name), projectId, before: new Date(Math.max(endMs, 0)).toISOString(), bytes: size });
        }
      }
      return removals;
    },
    close: async () => {},
  };
}

async function list(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new LogFlowError('STORE_UNAVAILABLE', `cannot read ${dir} for retention: ${(err as Error).message}`, { transient: true, cause: err });
  }
}

/** Just after the newest event of an archive file; Infinity (keep it) when a line does not read as one of ours. */
async function latestIn(file: string): Promise<number> {
  let latest = -Infinity;
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line) continue;
    let ms = NaN;
    try {
      ms = Date.parse((JSON.parse(line) as { timestamp?: string }).timestamp ?? '');
    } catch {
      // not JSON: a line some other program wrote
    }
    if (Number.isNaN(ms)) return Infinity;
    latest = Math.max(latest, ms + 1);
  }
  return latest;
}
