import { describeChaos } from './rotation-chaos.ts';

// A few rounds of test/rotation-chaos.ts in `npm test` (about 30-60 s); test/faults/ship-rotation.faults.test.ts runs many.
describeChaos('app.log', 20);
