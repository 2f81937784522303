// What a protocol decoder hands to the one normalisation: a record as it read it off the wire, before
// any meaning is given to it. A decoder fills in what its protocol has and nothing else; every name,
// level, time and id is read in shared/normalize, the same way for every protocol.
import type { Level } from '../levels.ts';

export interface IngestRecord {
  /**
   * One JSON object's text exactly as it came (a POST /logs event, an Elasticsearch `_bulk` document).
   * Read member by member in place, never JSON.parse'd whole: cheaper, and any depth is safe.
   */
  json?: string;
  /** Fields a decoder built (Loki structured metadata): read with the same names as JSON members. */
  fields?: Record<string, unknown>;
  /**
   * Fields as a decoder read them off the wire, key then value, in order (OTLP attributes): read as
   * `fields` is, after it. Keys decoded from protobuf are new strings, and making each one a property
   * of an object cost more than the rest of reading it.
   */
  fieldList?: unknown[];
  /**
   * A raw log line (a Loki line, an OTLP string body), read as `logflow ship` reads one: JSON, logfmt or
   * text with its level word and leading time. It is the message; message keys in `json`/`fields` are data.
   */
  line?: string;
  /**
   * The time the protocol gives the record, in nanoseconds since the epoch (OTLP timeUnixNano, a Loki
   * entry's timestamp): used when neither the fields nor the line name a time, and, exactly, in the id
   * derived for a record that has none.
   */
  timeUnixNano?: bigint;
  /** A level the protocol states apart from the fields (OTLP severity, a Loki `level` label): it wins over theirs. */
  level?: Level;
  /** The service the protocol names (OTLP resource `service.name`, a Loki label): it wins over the fields'. */
  service?: string;
  /**
   * The service when neither the protocol, the fields nor the request name one (the Elasticsearch
   * index a `_bulk` document was sent to): part of the derived id, so one document sent to two
   * indices is two events.
   */
  fallbackService?: string;
  /** Trace and span ids the protocol carries (OTLP traceId and spanId, as hex): they win over the fields'. */
  traceId?: string;
  spanId?: string;
  /** The record's own id (an Elasticsearch `_id`): stored as event_id, so that a client's retry lands once. */
  id?: string;
  /**
   * Labels and attributes that belong to the record's source (Loki stream labels, OTLP resource
   * attributes): kept in metadata under their names (the record's own fields win on a clash), and part
   * of the derived id, so the same line from two sources is two events. Share one object between the
   * records of one source, and never change it once handed over: its JSON text is written once.
   */
  labels?: Record<string, unknown>;
  /** The decoder could not read this record at all: refused with this reason, its neighbours unaffected. */
  invalid?: string;
}

/** What a request says for all of its records. */
export interface RecordDefaults {
  /** From `?service=` or the X-LogFlow-Service header: the service of records that name none. */
  service?: string;
}

/** A record's meaning, ready to store: LogEvent less what ingest adds (project, ingest time, id when none was sent). */
export interface NormalEvent {
  /** The sender's own id, when it sent one. */
  event_id?: string;
  /** ISO 8601 UTC, millisecond precision, as Date#toISOString writes it. */
  timestamp: string;
  service: string;
  level: Level;
  message: string;
  trace_id?: string;
  request_id?: string;
  host?: string;
  env?: string;
  /** Metadata as the members of a JSON object without braces (`"pid":1,"req":{}`), '' when none. */
  metadata: string;
  /**
   * What the event is, as it came, when it has no event_id of its own: hashed (with the project and the
   * defaults) into its id, so the same record sent again is the same event. Absent too when the record
   * names no time: nothing tells a retry from the same record sent again on purpose.
   */
  identity?: string;
}

/**
 * Why a record was refused, as a class a metric can count: unreadable (not an event at all: no JSON
 * object, a line the decoder could not read), time (a time field that is no time a store can hold),
 * event_id (an id of its own that cannot be one).
 */
export type RefusalClass = 'unreadable' | 'time' | 'event_id';

export type Normalized = { ok: true; event: NormalEvent } | { ok: false; reason: string; class: RefusalClass };
