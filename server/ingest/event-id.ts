import { hash, randomUUID } from 'node:crypto';
import type { RecordDefaults } from '../../shared/normalize/record.ts';

/**
 * The event_id of a record that came without one, derived from what it is (shared/normalize's
 * identity: its text as it came, time to the nanosecond included) within its project and request
 * defaults: agents resend a whole batch after a timeout or a 5xx, and the same record sent twice must be
 * stored once in every store. 132 bits of SHA-256, so two different records never meet by chance; a
 * client can only make its own events collide, never another project's (the stores key by project too).
 * A record with no identity (it names no time) gets a random id.
 */
export function eventIdFor(projectId: number, defaults: RecordDefaults, identity: string | undefined): string {
  if (identity === undefined) return randomUUID();
  return hash('sha256', `${projectId}\n${defaults.service ?? ''}\n${identity}`, 'base64url').slice(0, 22);
}
