// POST /logs, LogFlow's own protocol: hostile events (logs-events.ts) and hostile requests
// (logs-requests.ts), and the well-formed request framing.ts breaks.
import { logflowAnswer } from './answers.ts';
import { goodEvent, ndjson } from './build.ts';
import { EVENT_CLASSES } from './logs-events.ts';
import { REQUEST_CLASSES } from './logs-requests.ts';
import type { Endpoint } from './types.ts';

export const logsEndpoint: Endpoint = {
  name: 'POST /logs',
  reader: logflowAnswer,
  ok: 200,
  classes: [...EVENT_CLASSES, ...REQUEST_CLASSES],
  valid: (ctx) => ndjson(ctx, 'valid POST /logs', Array.from({ length: ctx.rng.int(2, 6) }, () => goodEvent(ctx)), { expect: [200] }),
};
