import { loadSettings, SINK_NAMES } from '../../shared/config.ts';
import { LogFlowError } from '../../shared/errors.ts';
import { openQueue } from '../../server/queue/open.ts';
import type { DeadLetterFilter, DeadLetterRecord, DeadLetters } from '../../server/queue/queue.ts';

interface FilterOptions {
  sink?: string;
  id?: string;
}

const usage = (message: string) => new LogFlowError('USAGE', message);

function filterOf(o: FilterOptions): DeadLetterFilter {
  if (o.sink !== undefined && !(SINK_NAMES as readonly string[]).includes(o.sink)) throw usage(`--sink "${o.sink}" is not a sink: use ${SINK_NAMES.join(', ')}`);
  if (o.id !== undefined && !/^\d+-\d+$/.test(o.id)) throw usage(`--id "${o.id}" is not a dead letter id such as 1762000000000-0 (logflow dead-letters list shows them)`);
  return { sink: o.sink, id: o.id };
}

/** Runs fn on the installation's dead letters; a Redis that does not answer is one clear line. */
async function withDeadLetters<T>(fn: (letters: DeadLetters) => Promise<T>): Promise<T> {
  const settings = loadSettings();
  const queue = await openQueue(settings, 'fail-fast');
  try {
    await queue.check().catch((err: Error) => {
      throw new LogFlowError('QUEUE_UNAVAILABLE', `Redis at ${settings.REDIS_URL} is not reachable (${err.message}): start it or set REDIS_URL`, { transient: true });
    });
    return await fn(queue.deadLetters);
  } finally {
    queue.close();
  }
}

/** "3 dead letters of postgres", "1 dead letter", "1 dead letter 1762000000000-0" */
const counted = (n: number, f: DeadLetterFilter) => `${n} dead letter${n === 1 ? '' : 's'}${f.id ? ` ${f.id}` : f.sink ? ` of ${f.sink}` : ''}`;

export async function list(o: FilterOptions & { limit: string; output: 'pretty' | 'ndjson' }): Promise<void> {
  const filter = filterOf(o);
  const limit = Number(o.limit);
  if (!Number.isInteger(limit) || limit < 1) throw usage(`--limit "${o.limit}" must be a whole number of at least 1`);
  const { letters, total } = await withDeadLetters((d) => d.list({ ...filter, limit }));
  if (o.output === 'ndjson') {
    for (const l of letters) process.stdout.write(JSON.stringify({ id: l.id, sink: l.sink, reason: l.reason, failed_at: l.failedAt, event: l.event ?? l.raw }) + '\n');
  } else {
    for (const l of letters) process.stdout.write(formatLetter(l));
  }
  process.stderr.write(`${counted(total, filter)}${total > letters.length ? `, the oldest ${letters.length} shown (--limit)` : ''}\n`);
}

export async function replay(o: FilterOptions): Promise<void> {
  const filter = filterOf(o);
  const { replayed, unreadable } = await withDeadLetters((d) => d.replay(filter));
  const kept = unreadable ? `; ${unreadable} kept: they hold no readable event (drop them once read)` : '';
  process.stdout.write(`replayed ${counted(replayed, filter)}: each goes back to the sink that refused it, and to no other${kept}\n`);
}

export async function drop(o: FilterOptions): Promise<void> {
  const filter = filterOf(o);
  const dropped = await withDeadLetters((d) => d.drop(filter));
  process.stdout.write(`dropped ${counted(dropped, filter)}\n`);
}

function formatLetter(l: DeadLetterRecord): string {
  const e = l.event;
  const head = e ? `${e.timestamp} ${e.level} ${e.service} project ${e.project_id} event ${e.event_id}` : 'unreadable entry';
  const body = e ? (e.message.length > 200 ? `${e.message.slice(0, 200)}…` : e.message) : l.raw.slice(0, 200);
  return `${l.id}  ${l.sink}  failed ${l.failedAt}\n  ${head}\n  ${body.replace(/\n/g, '\n  ')}\n  reason: ${l.reason}\n`;
}
