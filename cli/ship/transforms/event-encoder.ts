import type { ParsedLine } from '../../../shared/parse/line.ts';
import { jsonString } from '../../../shared/parse/json-string.ts';
import { formatIso } from '../../../shared/parse/time.ts';

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
  /** The --field pairs as JSON object members, or ''. */
  private readonly fieldsJson: string;

  constructor(private readonly ctx: ShipContext) {
    this.serviceJson = `,"service":${quote(ctx.service)}`;
    this.hostJson = ctx.host ? `,"host":${quote(ctx.host)}` : '';
    this.envJson = ctx.env ? `,"env":${quote(ctx.env)}` : '';
    this.fieldsJson = quote(ctx.fields).slice(1, -1);
  }

  /** The start of every event of one source: its event ids are this and a byte offset. */
  static idPrefix(sourceKey: string): string {
    const id = quote(`${sourceKey}:`);
    return `{"event_id":${id.slice(0, -1)}`;
  }

  /** `cutFromLines`: the event was cut at --max-event-bytes, and had that many lines. */
  encode(parsed: ParsedLine, idPrefix: string, offset: number, cutFromLines?: number): string {
    const time = parsed.timestamp ?? formatIso(Date.now());
    let json = `${idPrefix}${offset}","timestamp":"${time}"${this.serviceJson},"level":"${parsed.level}","message":${jsonString(parsed.message)}`;
    if (parsed.trace_id) json += `,"trace_id":${jsonString(parsed.trace_id)}`;
    if (parsed.request_id) json += `,"request_id":${jsonString(parsed.request_id)}`;
    json += parsed.host ? `,"host":${jsonString(parsed.host)}` : this.hostJson;
    json += this.envJson || (parsed.env ? `,"env":${jsonString(parsed.env)}` : '');
    const metadata = this.metadataOf(parsed, cutFromLines);
    if (metadata !== '') json += `,"metadata":{${metadata}}`;
    return `${json}}`;
  }

  /**
   * The members of metadata, in the order a JSON reader lets the later of two equal keys win: a logger
   * name the line gives, under --field pairs, under the line's own keys, under the cut marker.
   */
  private metadataOf(parsed: ParsedLine, cutFromLines: number | undefined): string {
    // --service names the service; a name the line carries itself (bunyan's "name") is kept, not lost.
    let members = parsed.service && parsed.service !== this.ctx.service ? `"logger":${jsonString(parsed.service)}` : '';
    if (this.fieldsJson !== '') members = members === '' ? this.fieldsJson : `${members},${this.fieldsJson}`;
    if (parsed.metadata !== undefined) members = members === '' ? parsed.metadata : `${members},${parsed.metadata}`;
    if (cutFromLines !== undefined) members += `${members === '' ? '' : ','}"truncated":true,"original_lines":${cutFromLines}`;
    return members;
  }
}

/** `--field key=value` pairs into an object; a malformed one is a usage error naming it. */
export function parseFields(pairs: string[]): Record<string, string> {
  // No prototype: `--field __proto__=x` is a key like any other, not a write to Object.prototype's setter.
  const out = Object.create(null) as Record<string, string>;
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new Error(`--field "${pair}" is not key=value`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}
