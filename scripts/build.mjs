// Bundles the CLI into dist/ so that `logflow` starts as plain JavaScript: under tsx every start
// compiled TypeScript on a loader thread (about 0.2 s and 35 MB more for a sidecar, and the per-line
// code carried source-map bookkeeping). Each subcommand stays its own chunk, loaded when it runs, so
// `logflow ship` still never loads the Redis, PostgreSQL or OpenSearch clients. Dependencies are not
// bundled: they are resolved from node_modules as before.
//
// dist/inputs.json lists every source file with its size and mtime; cli/logflow.mjs runs the bundle
// only while they all match, and the TypeScript itself (through tsx) as soon as one was edited.
//
// The search page (server/page) is bundled for the browser into dist/page, with hashed asset names,
// by the same code the server falls back on when dist/page is missing or older than its sources.
import { build } from 'esbuild';
import { tsImport } from 'tsx/esm/api';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = path.join(root, 'dist');
rmSync(outdir, { recursive: true, force: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: { main: 'cli/main.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
});

const inputs = Object.keys(result.metafile.inputs)
  .filter((file) => !file.includes('node_modules/'))
  .map((file) => {
    const s = statSync(path.join(root, file));
    return [file, s.size, s.mtimeMs];
  });
writeFileSync(path.join(outdir, 'inputs.json'), JSON.stringify(inputs));

const { writePageAssets } = await tsImport('../server/http/page-assets.ts', import.meta.url);
await writePageAssets(root, path.join(outdir, 'page'));
