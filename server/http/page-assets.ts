import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

// The page's files: its TypeScript and CSS (server/page) bundled by esbuild into hashed assets, and
// index.html pointing at them. `npm run build` writes them to dist/page (scripts/build.mjs calls
// writePageAssets); the server serves that, or, when it is missing or older than the sources (an
// edit since the last build), bundles the sources in memory at the first request.

export interface PageFile {
  /** URL path: `/` for the page, `/assets/app-<hash>.js` for the rest. */
  urlPath: string;
  type: string;
  body: Buffer;
  gzip?: Buffer;
  etag: string;
  /** Hashed names never change content: cached for a year. */
  immutable: boolean;
}

interface Manifest {
  /** Every source file the bundle was made of, with size and mtime, to tell whether it is current. */
  inputs: [file: string, size: number, mtimeMs: number][];
  files: { urlPath: string; file: string }[];
}

const PAGE_DIR = 'server/page';
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8',
};

/** The checkout or install this code runs from (the folder of LogFlow's package.json), from source or from dist/. */
export function packageRoot(from = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'logflow') return dir;
    if (path.dirname(dir) === dir) throw new Error(`no LogFlow package.json above ${from}`);
  }
}

/** Bundles the page's sources in memory. Loads esbuild only when called: a built install never does. */
export async function bundlePage(root: string): Promise<{ files: PageFile[]; inputs: Manifest['inputs'] }> {
  const { build } = await import('esbuild');
  const result = await build({
    absWorkingDir: root,
    entryPoints: { app: `${PAGE_DIR}/main.ts` },
    outdir: 'dist/page/assets',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome111', 'firefox115', 'safari16.4'],
    minify: true,
    sourcemap: 'linked',
    entryNames: '[name]-[hash]',
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const assets = result.outputFiles.map((f) => ({ urlPath: `/assets/${path.basename(f.path)}`, body: Buffer.from(f.contents) }));
  const icon = readFileSync(path.join(root, PAGE_DIR, 'icon.svg'));
  assets.push({ urlPath: `/assets/icon-${createHash('sha256').update(icon).digest('hex').slice(0, 8)}.svg`, body: icon });
  const named = (ext: string) => assets.find((a) => a.urlPath.endsWith(ext) && !a.urlPath.endsWith(`${ext}.map`))!.urlPath;
  const html = readFileSync(path.join(root, PAGE_DIR, 'index.html'), 'utf8')
    .replaceAll('/assets/app.js', named('.js'))
    .replaceAll('/assets/app.css', named('.css'))
    .replaceAll('/assets/icon.svg', named('.svg'));
  const sources = [...Object.keys(result.metafile.inputs).filter((f) => !f.includes('node_modules/')), `${PAGE_DIR}/index.html`, `${PAGE_DIR}/icon.svg`];
  return {
    files: [pageFile('/', Buffer.from(html), false), ...assets.map((a) => pageFile(a.urlPath, a.body, true))],
    inputs: sources.map((f) => {
      const s = statSync(path.join(root, f));
      return [f, s.size, s.mtimeMs];
    }),
  };
}

/** `npm run build`: the page's files into `dir` (dist/page), with the manifest the server reads them by. */
export async function writePageAssets(root: string, dir: string): Promise<void> {
  const { files, inputs } = await bundlePage(root);
  const manifest: Manifest = { inputs, files: [] };
  for (const f of files) {
    const file = f.urlPath === '/' ? 'index.html' : f.urlPath.slice(1);
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), f.body);
    manifest.files.push({ urlPath: f.urlPath, file });
  }
  await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
}

/** The built page in dist/page, or why it cannot be used: 'missing', or 'stale' when a source changed since. */
export async function readBuiltPage(root: string): Promise<PageFile[] | 'missing' | 'stale'> {
  const dir = path.join(root, 'dist/page');
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
  } catch {
    return 'missing';
  }
  // Sources are shipped alongside (the Docker image has them): when there are none, the build is all there is.
  const current = manifest.inputs.every(([file, size, mtimeMs]) => {
    const full = path.join(root, file);
    if (!existsSync(full)) return true;
    const s = statSync(full);
    return s.size === size && s.mtimeMs === mtimeMs;
  });
  if (!current) return 'stale';
  return Promise.all(manifest.files.map(async (f) => pageFile(f.urlPath, await readFile(path.join(dir, f.file)), f.urlPath !== '/')));
}

function pageFile(urlPath: string, body: Buffer, immutable: boolean): PageFile {
  const type = TYPES[path.extname(urlPath === '/' ? 'index.html' : urlPath)] ?? 'application/octet-stream';
  const compressible = !type.startsWith('image/') || type === 'image/svg+xml';
  return {
    urlPath,
    type,
    body,
    gzip: compressible && body.length > 1024 ? gzipSync(body, { level: 9 }) : undefined,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
    immutable,
  };
}
