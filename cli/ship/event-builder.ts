import type { ParsedLine } from './parse.ts';

/** What `logflow ship` adds to every line: the flags the person gave. */
export interface ShipContext {
  service: string;
  env?: string;
  host?: string;
  fields: Record<string, string>;
}

/** The wire event for one parsed line; a line that carries no time of its own gets the time it was read. */
export function buildEvent(parsed: ParsedLine, ctx: ShipContext, eventId: string): Record<string, unknown> {
  const metadata: Record<string, unknown> = { ...ctx.fields, ...parsed.metadata };
  // --service names the service; a name the line carries itself (bunyan's "name") is kept, not lost.
  if (parsed.service && parsed.service !== ctx.service) metadata.logger ??= parsed.service;
  const event: Record<string, unknown> = {
    event_id: eventId,
    timestamp: parsed.timestamp ?? new Date().toISOString(),
    service: ctx.service,
    level: parsed.level,
    message: parsed.message,
  };
  if (parsed.trace_id) event.trace_id = parsed.trace_id;
  if (parsed.request_id) event.request_id = parsed.request_id;
  const host = parsed.host ?? ctx.host;
  if (host) event.host = host;
  const env = ctx.env ?? parsed.env;
  if (env) event.env = env;
  for (const _ in metadata) {
    event.metadata = metadata;
    break;
  }
  return event;
}

/** `--field key=value` pairs into an object; a malformed one is a usage error naming it. */
export function parseFields(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new Error(`--field "${pair}" is not key=value`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}
