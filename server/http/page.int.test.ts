import { cp, mkdtemp, rm, symlink, writeFile, appendFile } from 'node:fs/promises';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/logger.ts';
import { isPageRequest, PAGE_CSP, servePage } from './page.ts';
import { packageRoot, readBuiltPage, writePageAssets } from './page-assets.ts';

// The page's files over real HTTP, from a LogFlow checkout of this test's own (a copy of the page's
// sources, with or without a build), so that building, staleness and failures can be tried.

const log = createLogger('silent');
const REPO = packageRoot();

async function checkout(): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'logflow-page-'));
  await writeFile(path.join(root, 'package.json'), JSON.stringify({ name: 'logflow' }));
  await cp(path.join(REPO, 'server/page'), path.join(root, 'server/page'), { recursive: true });
  await cp(path.join(REPO, 'shared'), path.join(root, 'shared'), { recursive: true });
  await symlink(path.join(REPO, 'node_modules'), path.join(root, 'node_modules'));
  return root;
}

async function serve(root: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (isPageRequest(req, url)) return void servePage(req, res, url, log, root);
    res.writeHead(404).end('not the page');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const html = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

describe('when a browser asks a built LogFlow for its page', () => {
  let root: string;
  let site: { url: string; server: Server };

  beforeAll(async () => {
    root = await checkout();
    await writePageAssets(root, path.join(root, 'dist/page'));
    site = await serve(root);
  });

  afterAll(async () => {
    site?.server.close();
    await rm(root, { recursive: true, force: true });
  });

  it('answers / with the page, its CSP and headers that keep it from being framed or sniffed', async () => {
    const res = await fetch(`${site.url}/`, { headers: html });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(PAGE_CSP);
    expect(PAGE_CSP).toContain("script-src 'self'");
    expect(PAGE_CSP).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('vary')).toContain('Accept');
    const text = await res.text();
    expect(text).toMatch(/<script type="module" src="\/assets\/app-[A-Z0-9]+\.js"><\/script>/);
    expect(text).not.toMatch(/<script>|<style>| style=| on[a-z]+=/i);
  });

  it('leaves / to others for a client that does not ask for HTML (an Elasticsearch probe)', async () => {
    for (const accept of ['application/json', '*/*']) {
      const res = await fetch(`${site.url}/`, { headers: { accept } });
      expect({ accept, status: res.status, body: await res.text() }).toEqual({ accept, status: 404, body: 'not the page' });
    }
    expect((await fetch(`${site.url}/`, { method: 'POST', headers: html })).status).toBe(404);
    expect(await (await fetch(`${site.url}/assets/_search`)).text()).toBe('not the page');
  });

  it('serves hashed assets with their types, gzip, a year of caching and 304s', async () => {
    const page = await (await fetch(`${site.url}/`, { headers: html })).text();
    const [js, css, icon] = ['js', 'css', 'svg'].map((ext) => new RegExp(`/assets/[a-z]+-[A-Za-z0-9]+\\.${ext}`).exec(page)![0]);
    const types = await Promise.all([js!, css!, icon!].map(async (p) => (await fetch(`${site.url}${p}`)).headers.get('content-type')));
    expect(types).toEqual(['text/javascript; charset=utf-8', 'text/css; charset=utf-8', 'image/svg+xml']);
    // fetch undoes gzip by itself: node:http shows what went over the wire.
    const raw = await new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
      const req = get(`${site.url}${js}`, { headers: { 'accept-encoding': 'gzip, br' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
    });
    expect(raw.headers['content-encoding']).toBe('gzip');
    expect(raw.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const plain = Buffer.from(await (await fetch(`${site.url}${js}`, { headers: { 'accept-encoding': 'identity' } })).arrayBuffer());
    expect(gunzipSync(raw.body).equals(plain)).toBe(true);
    expect(raw.body.length).toBeLessThan(plain.length / 2);
    const again = await fetch(`${site.url}${js}`, { headers: { 'if-none-match': String(raw.headers.etag) } });
    expect([again.status, await again.text()]).toEqual([304, '']);
    const head = await fetch(`${site.url}/`, { method: 'HEAD', headers: html });
    expect([head.status, head.headers.get('content-type'), await head.text()]).toEqual([200, 'text/html; charset=utf-8', '']);
    const gone = await fetch(`${site.url}/assets/app-OLD.js`);
    expect(gone.status).toBe(404);
    expect(await gone.text()).toContain('reload the page');
  });
});

describe('when the page was not built, or its sources changed since', () => {
  let root: string;

  beforeAll(async () => {
    root = await checkout();
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('tells a build from a missing one and from one older than its sources', async () => {
    expect(await readBuiltPage(root)).toBe('missing');
    await writePageAssets(root, path.join(root, 'dist/page'));
    expect(Array.isArray(await readBuiltPage(root))).toBe(true);
    await appendFile(path.join(root, 'server/page/page.css'), '\n.edited { color: red; }\n');
    expect(await readBuiltPage(root)).toBe('stale');
  });

  it('builds the page from its sources at the first request, with the edit in it', async () => {
    const site = await serve(root);
    try {
      const page = await (await fetch(`${site.url}/`, { headers: html })).text();
      const css = /\/assets\/app-[A-Z0-9]+\.css/.exec(page)![0];
      expect(await (await fetch(`${site.url}${css}`)).text()).toContain('.edited');
    } finally {
      site.server.close();
    }
  });

  it('answers 503 saying what to run when it can be neither read nor built', async () => {
    const broken = await checkout();
    await writeFile(path.join(broken, 'server/page/main.ts'), 'import "./nowhere.ts";\n');
    const site = await serve(broken);
    try {
      const res = await fetch(`${site.url}/`, { headers: html });
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('run `npm run build`');
    } finally {
      site.server.close();
      await rm(broken, { recursive: true, force: true });
    }
  });
});
