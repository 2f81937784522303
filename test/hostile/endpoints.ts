// Every endpoint the harness attacks, one file each. A new protocol (OTLP /v1/logs, /_bulk,
// /loki/api/v1/push) is one more file exporting an Endpoint, and one more line here: its classes run
// in every harness run, and framing.ts breaks its well-formed request in every way HTTP can be broken.
import { logsEndpoint } from './logs.ts';
import { searchEndpoint } from './search.ts';
import type { Endpoint } from './types.ts';

export const ENDPOINTS: Endpoint[] = [logsEndpoint, searchEndpoint];
