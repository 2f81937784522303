import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    // *.faults.test.ts are the slow fault and hostile-input suites: `npm run test:faults`.
    exclude: ['node_modules/**', '**/*.faults.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Integration suites each own their keys, databases and indices, so files may run side by side;
    // two at a time keeps a 2-core machine responsive.
    maxWorkers: 2,
  },
});
