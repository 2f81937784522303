import type { Settings } from '../../shared/config.ts';
import type { Logger } from '../../shared/logger.ts';
import type { EventQueue } from './queue.ts';
import { EventStream } from './stream.ts';

/**
 * The queue of an installation, on connections of its own: the one place that picks the
 * implementation (the Redis stream). `patient` (worker, tooling) waits for the queue while it is
 * away; `fail-fast` (request paths) fails at once so the server can answer 503. With `log`, an outage
 * of Redis and its end are said there.
 */
export function openQueue(settings: Pick<Settings, 'REDIS_URL' | 'LOGFLOW_NAMESPACE'>, mode: 'patient' | 'fail-fast', log?: Logger): Promise<EventQueue> {
  return EventStream.open(settings.REDIS_URL, settings.LOGFLOW_NAMESPACE, mode, log);
}
