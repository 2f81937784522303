import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

// The slow suites: fault injection (processes killed, stores stopped) and hostile-input runs. They are
// `*.faults.test.ts`, left out of `npm test` and run by `npm run test:faults` (and by .ci/run). Built
// from the base config by hand: mergeConfig would concatenate include and exclude lists.
export default defineConfig({
  test: { ...base.test, include: ['**/*.faults.test.ts'], exclude: ['node_modules/**'], testTimeout: 900_000, hookTimeout: 600_000 },
});
