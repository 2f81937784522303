import { constants } from 'node:fs';
import { access, mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import type { LogEvent } from '../../../shared/event.ts';
import { LogFlowError } from '../../../shared/errors.ts';
import { bucketOf } from '../time-bucket.ts';
import type { Sink, WriteResult } from '../types.ts';

/**
 * `<dir>/<project_id>/<YYYY-MM-DD>.log` by the event's own UTC date for recent days, `<YYYY-MM>.log`
 * for older months and `older.log` for the rest (time-bucket.ts), so scattered past dates cannot
 * fill the disk's inodes with files of one line. A timestamp that is no time goes with the oldest.
 */
export function filePathFor(dir: string, event: Pick<LogEvent, 'project_id' | 'timestamp' | 'ingest_ts'>): string {
  const bucket = bucketOf(event.timestamp, event.ingest_ts);
  const name = bucket?.parts.length ? bucket.parts.join('-') : 'older';
  return path.join(dir, String(event.project_id), `${name}.log`);
}

/**
 * The archive store: NDJSON appended to daily files, one per project. A batch is on disk (fsync) before
 * write() returns, so the worker's acknowledgement never runs ahead of the data. It is an append-only
 * archive: after a worker crash between the append and the acknowledgement, the retried batch is
 * appended again, so a line can appear twice here (never in the searchable stores).
 */
export function createFileSink({ dir }: { dir: string }): Sink {
  // The worker writes several batches at once: their lines are made side by side, their appends one
  // after the other, so two batches' lines never interleave in a file.
  let appending: Promise<unknown> = Promise.resolve();
  return {
    name: 'file',
    async prepare() {
      await mkdir(dir, { recursive: true });
    },
    async check() {
      await access(dir, constants.W_OK);
    },
    async write(events: LogEvent[]): Promise<WriteResult[]> {
      const byFile = new Map<string, string[]>();
      for (const e of events) {
        const file = filePathFor(dir, e);
        let lines = byFile.get(file);
        if (!lines) byFile.set(file, (lines = []));
        lines.push(JSON.stringify(e));
      }
      const turn = appending.then(async () => {
        for (const [file, lines] of byFile) await appendDurably(file, lines.join('\n') + '\n');
      });
      appending = turn.catch(() => {});
      await turn;
      return events.map(() => ({ status: 'ok' }));
    },
    async close() {},
  };
}

async function appendDurably(file: string, text: string): Promise<void> {
  try {
    await mkdir(path.dirname(file), { recursive: true });
    const handle = await open(file, 'a');
    try {
      await handle.writeFile(text);
      await handle.datasync();
    } finally {
      await handle.close();
    }
  } catch (err) {
    // A full disk or a permission a person can fix: keep the events in the stream and try again.
    throw new LogFlowError('STORE_UNAVAILABLE', `cannot append to ${file}: ${(err as Error).message}`, { transient: true, cause: err });
  }
}
