import { describe, it } from 'vitest';
import { expectHostileRunClean } from './hostile/expect-clean.ts';
import { hostileRun } from './hostile/harness.ts';

// A small, fixed slice of the hostile-input harness (test/hostile/) inside `npm test`; the full run
// of at least 10,000 requests, with a new seed each time, is `npm run test:faults`
// (test/faults/hostile.faults.test.ts).
describe('when hostile requests come in beside good ones (a seeded slice)', () => {
  it('does answer each without a 5xx, as JSON, keep connections and servers up, and store every taken event once everywhere', async () => {
    const r = await hostileRun({ seed: 20261201, requests: Number(process.env.HOSTILE_REQUESTS ?? 600) });
    expectHostileRunClean(r);
  }, 600_000);
});
