// Every endpoint the harness attacks, one file each. A new protocol is one more file exporting an
// Endpoint (its classes, a well-formed request, how it answers), and one more line here: its classes
// run in every harness run, and framing.ts breaks its well-formed request in every way HTTP can be broken.
import { bulkEndpoint } from './bulk.ts';
import { logsEndpoint } from './logs.ts';
import { lokiEndpoint } from './loki.ts';
import { otlpEndpoint } from './otlp.ts';
import { searchEndpoint } from './search.ts';
import type { Endpoint } from './types.ts';

export const ENDPOINTS: Endpoint[] = [logsEndpoint, otlpEndpoint, bulkEndpoint, lokiEndpoint, searchEndpoint];
