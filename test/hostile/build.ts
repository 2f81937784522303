// Building blocks for hostile requests: events that carry a marker, and bodies made of them.
import type { CaseContext, HttpCase } from './types.ts';

/** One record of a body: its text, and the marker it carries (null: none we could find again). */
export interface Part {
  text: string;
  /** The record as bytes, when they are not UTF-8 text (invalid sequences on purpose). */
  bytes?: Buffer;
  marker: string | null;
  /** A good event: it must be taken whenever the request is. */
  good?: boolean;
}

/** A time within the last three days, ISO 8601: what a good event says. */
export function recentIso(ctx: CaseContext): string {
  return new Date(ctx.now - ctx.rng.int(0, 3 * 86_400_000)).toISOString();
}

/** A good event as `logflow ship` sends it: its marker in the message. */
export function goodEvent(ctx: CaseContext, service = 'hostile'): Part {
  const marker = ctx.marker();
  const level = ctx.rng.pick(['DEBUG', 'INFO', 'WARN', 'ERROR']);
  return { text: JSON.stringify({ timestamp: recentIso(ctx), service, level, message: `good ${marker} event` }), marker, good: true };
}

/**
 * An event with `fields` merged over a plain one; the marker goes in the message unless the fields
 * set one, and then in a field of its own (kept in metadata), so it can always be found again.
 */
export function eventWith(ctx: CaseContext, fields: Record<string, unknown>, opts: { time?: boolean; marker?: string } = {}): Part {
  const marker = opts.marker ?? ctx.marker();
  const base: Record<string, unknown> = { service: 'hostile', level: 'info', message: `hostile ${marker}` };
  if (opts.time !== false) base.timestamp = recentIso(ctx);
  const merged = { ...base, ...fields };
  if ('message' in fields || 'msg' in fields || 'log' in fields) merged.hx = marker;
  return { text: JSON.stringify(merged), marker };
}

/** `n` good events around the hostile parts, in random places. */
export function withGood(ctx: CaseContext, parts: Part[], n = ctx.rng.int(0, 2)): Part[] {
  const out = [...parts];
  for (let i = 0; i < n; i++) out.splice(ctx.rng.int(0, out.length), 0, goodEvent(ctx));
  return out;
}

export function authHeaders(ctx: CaseContext): Record<string, string> {
  return { 'x-api-key': ctx.keys.hostile };
}

/** A POST /logs of these records, one per line (NDJSON): a bad line costs only that line. */
export function ndjson(ctx: CaseContext, className: string, parts: Part[], extra: Partial<HttpCase> = {}): HttpCase {
  return {
    kind: 'http',
    class: className,
    method: 'POST',
    path: '/logs',
    headers: { 'content-type': 'application/x-ndjson', ...authHeaders(ctx) },
    body: Buffer.concat([...parts.flatMap((p, i) => [...(i ? [Buffer.from('\n')] : []), p.bytes ?? Buffer.from(p.text)]), Buffer.from(ctx.rng.chance(0.5) ? '\n' : '')]),
    markers: parts.map((p) => p.marker),
    good: parts.flatMap((p, i) => (p.good ? [i] : [])),
    ...extra,
  };
}

let ids = 0;
/** A number no other event of this run uses as its event_id. */
export function uniqueNumber(): number {
  return 1_000_000_000 + ids++;
}

/** `{"a":{"a":…1…}}` nested `depth` levels (arrays too, when asked). */
export function nested(depth: number, arrays = false): string {
  return arrays ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}
