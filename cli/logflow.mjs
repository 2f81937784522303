#!/usr/bin/env -S node --max-semi-space-size=4 --initial-old-space-size=4 --single-threaded-gc
// The `logflow` command. It runs the bundle in dist/ (built by `npm ci` and `npm run build`) while
// every source file it was built from is unchanged; otherwise, or when there is no bundle, it runs
// the TypeScript through tsx, so an edit takes effect without a build step. Paths are resolved from
// this file, so the command works from any directory.
//
// The flags above, for `logflow ship` above all, which makes short-lived strings for every line: a
// young generation of 4 MB instead of V8's 16 peaks about 30 MB lower and spends no more CPU; a small
// first limit for the old generation has it collected before it grows by 20 MB of garbage (the limit
// then grows with what is live, so it caps nothing); garbage collected on the main thread alone costs
// about 5% less CPU than with helper threads on two cores, and leaves the other core to the
// application. bench/ship.bench.ts runs the command with these flags.
import { readFileSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);

function bundleIsCurrent() {
  try {
    const inputs = JSON.parse(readFileSync(new URL('dist/inputs.json', root), 'utf8'));
    return inputs.every(([file, size, mtimeMs]) => {
      const s = statSync(new URL(file, root));
      return s.size === size && s.mtimeMs === mtimeMs;
    });
  } catch {
    return false; // no bundle, or a source file gone
  }
}

if (bundleIsCurrent()) {
  await import(new URL('dist/main.mjs', root).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./main.ts');
}
