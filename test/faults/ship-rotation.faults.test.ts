import { describeChaos } from '../rotation-chaos.ts';

// Many rounds of test/rotation-chaos.ts: writes, rename and copytruncate rotations, SIGKILLs and
// restarts of a real `logflow ship`, its server now and then stopped, counted in a real LogFlow's
// PostgreSQL; for a pattern naming only the live file and for one that names the rotated files too.
// LOGFLOW_TEST_SEED replays a run; LOGFLOW_TEST_ROUNDS sets the rounds (60 by default).
const ROUNDS = Number(process.env.LOGFLOW_TEST_ROUNDS ?? 60);

describeChaos('app.log', ROUNDS);
describeChaos('app.log*', ROUNDS);
