import { LogFlowError } from '../../shared/errors.ts';
import { recordBytes, type Ingest } from '../ingest/ingest.ts';
import type { Metrics } from './metrics.ts';

/** Why a whole request was refused, for the codes the ingest path throws when the same request can succeed later. */
const REQUEST_REFUSALS: Partial<Record<string, string>> = {
  BACKPRESSURE: 'backpressure',
  RATE_LIMITED: 'rate_limited',
  QUEUE_UNAVAILABLE: 'queue_unavailable',
};

/** The ingest path, its results counted: events accepted, refused by reason class, bytes handed to it. */
export function meteredIngest(path: Ingest, m: Metrics): Ingest {
  return {
    async ingest(projectId, records, defaults) {
      m.bytesIn.inc(recordBytes(records));
      try {
        const result = await path.ingest(projectId, records, defaults);
        m.eventsAccepted.inc(result.accepted);
        for (const [reason, n] of Object.entries(result.refusedBy)) if (n) m.eventsRefused.inc({ reason }, n);
        return result;
      } catch (err) {
        const reason = err instanceof LogFlowError ? REQUEST_REFUSALS[err.code] : undefined;
        m.eventsRefused.inc({ reason: reason ?? 'server_error' }, records.length);
        throw err;
      }
    },
  };
}
