import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorMessage } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { bundlePage, packageRoot, readBuiltPage, type PageFile } from './page-assets.ts';

// GET / for a browser: the search page (server/page), and its assets under /assets/. A request for /
// that does not accept text/html is not the page's: an Elasticsearch client probing GET / or HEAD /
// expects Elasticsearch's JSON, which its protocol's route answers.

/**
 * Only the page's own scripts and styles, from this server; no inline script, no eval; requests only
 * to this server; never framed. Trusted Types with no policy: the browser refuses innerHTML and the
 * like outright, so log data can only ever be text.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** The page's asset names (app-<hash>.js, …): anything else under /assets (an index of that name, say) is not the page's. */
const ASSET = /^\/assets\/[\w-]+\.(?:js|css|svg|map)$/;

/** Whether a request is for the page: GET or HEAD of / from a browser (Accept names text/html), or of one of its assets. */
export function isPageRequest(req: IncomingMessage, url: URL): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (ASSET.test(url.pathname)) return true;
  return url.pathname === '/' && /\btext\/html\b/i.test(req.headers.accept ?? '');
}

let installRoot: string | undefined;
const RETRY_BUILD_MS = 10_000;

/**
 * By package root: read (or bundled) once per process. A failure is kept for a few seconds only, so
 * that `npm run build` mends it without a restart, yet requests for a broken page cannot make the
 * server bundle over and over.
 */
const loaded = new Map<string, Promise<Map<string, PageFile>>>();

function pageFiles(root: string, log: Logger): Promise<Map<string, PageFile>> {
  let files = loaded.get(root);
  if (!files) {
    files = loadFiles(root, log).catch((err: unknown) => {
      setTimeout(() => loaded.delete(root), RETRY_BUILD_MS).unref();
      throw err;
    });
    loaded.set(root, files);
  }
  return files;
}

async function loadFiles(root: string, log: Logger): Promise<Map<string, PageFile>> {
  let files = await readBuiltPage(root);
  if (typeof files === 'string') {
    const why = files === 'missing' ? 'dist/page is missing' : 'dist/page is older than the sources in server/page';
    log.info(`the page is being built from its sources (${why}); \`npm run build\` builds it ahead of time`);
    try {
      files = (await bundlePage(root)).files;
    } catch (err) {
      throw new Error(`${why} and the page could not be built from its sources (${errorMessage(err)}): run \`npm run build\` in ${root}`, { cause: err });
    }
  }
  return new Map(files.map((f) => [f.urlPath, f]));
}

/** Answers a page request (isPageRequest) from the page's files under `root` (this install's, unless a test says). */
export async function servePage(req: IncomingMessage, res: ServerResponse, url: URL, log: Logger, root = (installRoot ??= packageRoot())): Promise<void> {
  let files: Map<string, PageFile>;
  try {
    files = await pageFiles(root, log);
  } catch (err) {
    log.error(`GET ${url.pathname}: ${errorMessage(err)}`);
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
    // The details (paths, compiler output) go to the log, not to whoever asked.
    res.end("LogFlow's page is not built: run `npm run build` where the server runs (its log says more).\n");
    return;
  }
  const file = files.get(url.pathname);
  if (!file) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache', ...SECURITY_HEADERS });
    res.end(`no asset ${url.pathname}: reload the page (a newer LogFlow may have replaced it)\n`);
    return;
  }
  const headers: Record<string, string> = {
    'content-type': file.type,
    etag: file.etag,
    // The page itself is checked each time, so a new build's asset names are picked up at once.
    'cache-control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    ...SECURITY_HEADERS,
  };
  if (file.urlPath === '/') headers.vary = 'Accept, Accept-Encoding';
  else if (file.gzip) headers.vary = 'Accept-Encoding';
  if (etagMatches(req.headers['if-none-match'], file.etag)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const gzip = file.gzip && /\bgzip\b/i.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gzip ? file.gzip! : file.body;
  if (gzip) headers['content-encoding'] = 'gzip';
  headers['content-length'] = String(body.length);
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag || t.trim() === '*');
}
