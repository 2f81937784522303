import type { ParsedLine } from './parse.ts';
import { formatIso } from './parse-time.ts';

/** What `logflow ship` adds to every line: the flags the person gave. */
export interface ShipContext {
  service: string;
  env?: string;
  host?: string;
  fields: Record<string, string>;
}

const quote = JSON.stringify;

/**
 * Writes the wire event of a parsed line as one JSON line. It is written by hand rather than built as
 * an object for JSON.stringify: this runs for every event, and the parts that are the same for every
 * event of a run (service, host, env) are encoded once. The keys and values are those of
 * `{event_id, timestamp, service, level, message, trace_id?, request_id?, host?, env?, metadata?}`;
 * a line that carries no time of its own gets the time it was read.
 */
export class EventEncoder {
  private readonly serviceJson: string;
  private readonly hostJson: string;
  private readonly envJson: string;
  private readonly fields: Record<string, string> | undefined;

  constructor(private readonly ctx: ShipContext) {
    this.serviceJson = `,"service":${quote(ctx.service)}`;
    this.hostJson = ctx.host ? `,"host":${quote(ctx.host)}` : '';
    this.envJson = ctx.env ? `,"env":${quote(ctx.env)}` : '';
    this.fields = Object.keys(ctx.fields).length ? ctx.fields : undefined;
  }

  /** The start of every event of one source: its event ids are this and a byte offset. */
  static idPrefix(sourceKey: string): string {
    const id = quote(`${sourceKey}:`);
    return `{"event_id":${id.slice(0, -1)}`;
  }

  /** `cutFromLines`: the event was cut at --max-event-bytes, and had that many lines. */
  encode(parsed: ParsedLine, idPrefix: string, offset: number, cutFromLines?: number): string {
    const time = parsed.timestamp ?? formatIso(Date.now());
    let json = `${idPrefix}${offset}","timestamp":"${time}"${this.serviceJson},"level":"${parsed.level}","message":${quote(parsed.message)}`;
    if (parsed.trace_id) json += `,"trace_id":${quote(parsed.trace_id)}`;
    if (parsed.request_id) json += `,"request_id":${quote(parsed.request_id)}`;
    json += parsed.host ? `,"host":${quote(parsed.host)}` : this.hostJson;
    json += this.envJson || (parsed.env ? `,"env":${quote(parsed.env)}` : '');
    const metadata = this.metadataOf(parsed, cutFromLines);
    if (metadata !== undefined) json += `,"metadata":${quote(metadata)}`;
    return `${json}}`;
  }

  /** --field pairs, then the line's own; the line's object as it is when there is nothing to add. */
  private metadataOf(parsed: ParsedLine, cutFromLines: number | undefined): Record<string, unknown> | undefined {
    // --service names the service; a name the line carries itself (bunyan's "name") is kept, not lost.
    const logger = parsed.service && parsed.service !== this.ctx.service ? parsed.service : undefined;
    if (this.fields === undefined && logger === undefined && cutFromLines === undefined) return parsed.metadata;
    const metadata: Record<string, unknown> = { ...this.fields, ...parsed.metadata };
    if (logger !== undefined) metadata.logger ??= logger;
    if (cutFromLines !== undefined) Object.assign(metadata, { truncated: true, original_lines: cutFromLines });
    for (const _ in metadata) return metadata;
    return undefined;
  }
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
