// The ingest protocols LogFlow speaks besides its own POST /logs, in the order their routes are tried.
import { elasticsearchRoute } from './elasticsearch.ts';
import { lokiRoute } from './loki.ts';
import { otlpRoute } from './otlp.ts';
import type { ProtocolRoute } from './protocol.ts';

export const PROTOCOL_ROUTES: readonly ProtocolRoute[] = [otlpRoute, lokiRoute, elasticsearchRoute];
