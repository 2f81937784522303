#!/usr/bin/env node
// The `logflow` command. It runs the bundle in dist/ (built by `npm ci` and `npm run build`) while
// every source file it was built from is unchanged; otherwise, or when there is no bundle, it runs
// the TypeScript through tsx, so an edit takes effect without a build step. Paths are resolved from
// this file, so the command works from any directory.
//
// `cli/logflow` runs this file with the V8 flags the shipper is measured with; run directly, it works
// the same with node's defaults.
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
