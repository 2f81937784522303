// The part of OTLP's protobuf schema that POST /v1/logs reads and answers with, written from
// opentelemetry-proto (collector/logs/v1/logs_service.proto, logs/v1/logs.proto, common/v1/common.proto,
// resource/v1/resource.proto) and google/rpc/status.proto, field numbers as there. protobufjs builds
// its decoders from this at start (reflection: the same generated code as its static mode), so no
// .proto file is read at run time. Fields LogFlow has no use for (schema URLs, dropped counts, flags)
// are left out: protobuf skips what a schema does not name.
import protobuf from 'protobufjs';

const root = protobuf.Root.fromJSON({
  nested: {
    otlp: {
      nested: {
        ExportLogsServiceRequest: { fields: { resourceLogs: { rule: 'repeated', type: 'ResourceLogs', id: 1 } } },
        ResourceLogs: { fields: { resource: { type: 'Resource', id: 1 }, scopeLogs: { rule: 'repeated', type: 'ScopeLogs', id: 2 } } },
        Resource: { fields: { attributes: { rule: 'repeated', type: 'KeyValue', id: 1 } } },
        ScopeLogs: { fields: { scope: { type: 'InstrumentationScope', id: 1 }, logRecords: { rule: 'repeated', type: 'LogRecord', id: 2 } } },
        InstrumentationScope: { fields: { name: { type: 'string', id: 1 }, version: { type: 'string', id: 2 }, attributes: { rule: 'repeated', type: 'KeyValue', id: 3 } } },
        LogRecord: {
          fields: {
            timeUnixNano: { type: 'fixed64', id: 1 },
            observedTimeUnixNano: { type: 'fixed64', id: 11 },
            severityNumber: { type: 'int32', id: 2 },
            severityText: { type: 'string', id: 3 },
            body: { type: 'AnyValue', id: 5 },
            attributes: { rule: 'repeated', type: 'KeyValue', id: 6 },
            traceId: { type: 'bytes', id: 9 },
            spanId: { type: 'bytes', id: 10 },
            eventName: { type: 'string', id: 12 },
          },
        },
        AnyValue: {
          oneofs: { value: { oneof: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] } },
          fields: {
            stringValue: { type: 'string', id: 1 },
            boolValue: { type: 'bool', id: 2 },
            intValue: { type: 'int64', id: 3 },
            doubleValue: { type: 'double', id: 4 },
            arrayValue: { type: 'ArrayValue', id: 5 },
            kvlistValue: { type: 'KeyValueList', id: 6 },
            bytesValue: { type: 'bytes', id: 7 },
          },
        },
        ArrayValue: { fields: { values: { rule: 'repeated', type: 'AnyValue', id: 1 } } },
        KeyValueList: { fields: { values: { rule: 'repeated', type: 'KeyValue', id: 1 } } },
        KeyValue: { fields: { key: { type: 'string', id: 1 }, value: { type: 'AnyValue', id: 2 } } },
        ExportLogsServiceResponse: { fields: { partialSuccess: { type: 'ExportLogsPartialSuccess', id: 1 } } },
        ExportLogsPartialSuccess: { fields: { rejectedLogRecords: { type: 'int64', id: 1 }, errorMessage: { type: 'string', id: 2 } } },
        Status: { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 } } },
      },
    },
  },
});

export const ExportLogsServiceRequest = root.lookupType('otlp.ExportLogsServiceRequest');
export const ExportLogsServiceResponse = root.lookupType('otlp.ExportLogsServiceResponse');
/** google.rpc.Status: the body of every OTLP/HTTP error answer. */
export const RpcStatus = root.lookupType('otlp.Status');

/** A 64-bit integer as protobufjs decodes it (a Long), as JSON carries it (digits, or a number), or absent. */
export type Int64 = { low: number; high: number; unsigned?: boolean } | string | number | null | undefined;

/**
 * The shapes both encodings decode to: protobufjs messages and OTLP/JSON objects share these names
 * (lowerCamelCase), and differ only in how 64-bit integers, bytes and enums are written.
 */
export interface OtlpRequest {
  resourceLogs?: OtlpResourceLogs[] | null;
}

export interface OtlpResourceLogs {
  resource?: { attributes?: OtlpKeyValue[] | null } | null;
  scopeLogs?: OtlpScopeLogs[] | null;
}

export interface OtlpScopeLogs {
  scope?: { name?: string | null; version?: string | null } | null;
  logRecords?: OtlpLogRecord[] | null;
}

export interface OtlpLogRecord {
  timeUnixNano?: Int64;
  observedTimeUnixNano?: Int64;
  /** A number; OTLP/JSON may also send the enum's name (SEVERITY_NUMBER_WARN). */
  severityNumber?: number | string | null;
  severityText?: string | null;
  body?: OtlpAnyValue | null;
  attributes?: OtlpKeyValue[] | null;
  /** Bytes in protobuf; hex text in OTLP/JSON. */
  traceId?: Uint8Array | string | null;
  spanId?: Uint8Array | string | null;
  eventName?: string | null;
}

export interface OtlpAnyValue {
  stringValue?: string | null;
  boolValue?: boolean | null;
  intValue?: Int64;
  doubleValue?: number | string | null;
  arrayValue?: { values?: OtlpAnyValue[] | null } | null;
  kvlistValue?: { values?: OtlpKeyValue[] | null } | null;
  /** Bytes in protobuf; base64 text in OTLP/JSON. */
  bytesValue?: Uint8Array | string | null;
}

export interface OtlpKeyValue {
  key?: string | null;
  value?: OtlpAnyValue | null;
}
