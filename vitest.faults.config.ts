import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.ts';

// The slow suites: fault injection (processes killed, stores stopped) and hostile-input runs. They are
// `*.faults.test.ts`, left out of `npm test` and run by `npm run test:faults` (and by .ci/run).
export default mergeConfig(base, defineConfig({ test: { include: ['**/*.faults.test.ts'], exclude: ['node_modules/**'], testTimeout: 900_000, hookTimeout: 600_000 } }));
