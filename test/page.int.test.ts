import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, launchChromium } from './browser.ts';
import { runCli, stop } from './cli.ts';
import { eventually } from './helpers.ts';
import { startStack, type Stack } from './stack.ts';

// The page as a person uses it, in real Chromium, against a real server, worker and PostgreSQL, with
// events shipped in by `logflow ship`. Everything is asserted on what the page shows.

/** Screenshots and load timings of the last run: look at them (git-ignored). */
export const ARTIFACTS = path.resolve(import.meta.dirname, '../artifacts/page');

const T0 = Date.parse('2026-11-01T10:00:00.000Z');
const HOUR = 3_600_000;
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const HOSTILE = '<script>window.__pwned = 1</script> <img src=x onerror="window.__pwned = 2">';

interface Line {
  service: string;
  time: number;
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** One event a minute for an hour: a third from `api`, the rest from `checkout`; an error with a trace, a hostile message. */
const LINES: Line[] = Array.from({ length: 60 }, (_, i) => {
  const level = i % 10 === 7 ? 50 : i % 10 === 4 ? 40 : i % 10 === 9 ? 20 : 30;
  const line: Line = { service: i % 3 === 0 ? 'api' : 'checkout', time: T0 + i * 60_000 + 30_000, level, msg: `request ${i} handled in ${i * 3}ms`, user_id: 100 + (i % 4) };
  if (i === 17) Object.assign(line, { msg: 'charge failed', trace_id: TRACE, err: { message: 'card declined', stack: 'CardError: card declined\n    at charge (/app/pay.js:10:5)' } });
  if (i === 40) Object.assign(line, { msg: HOSTILE, note: '<img src=x onerror="window.__pwned = 3">' });
  return line;
});

const newestFirst = (lines: Line[]) => [...lines].sort((a, b) => b.time - a.time).map((l) => l.msg);

const missing = chromiumMissing();
if (missing && process.env.CI === 'true') {
  describe('when the page is tested in CI', () => {
    it('has Chromium to test it in', () => {
      throw new Error(missing);
    });
  });
} else if (missing) {
  console.warn(`skipping the page's browser tests: ${missing}`);
}

describe.skipIf(missing !== undefined)('when a person reads logs on the page', () => {
  let stack: Stack;
  let key: string;
  let env: NodeJS.ProcessEnv;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  const requests: Request[] = [];
  const problems: string[] = [];

  const ship = async (service: string, lines: object[]) => {
    const r = await runCli(['ship', '--service', service, '--quiet'], env, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    expect(r.code, r.stderr).toBe(0);
  };
  const messages = () => page.locator('#results li.row .msg').allTextContents();
  /** Opens a page of the site in this tab, giving the key when it is asked for (each test can run alone). */
  const visit = async (pathAndQuery: string) => {
    await page.goto(`${stack.url}${pathAndQuery}`);
    await page.waitForFunction(() => document.querySelector('#results li, #key-panel:not([hidden])'));
    if (await page.getByLabel('API key').isVisible()) {
      await page.getByLabel('API key').fill(key);
      await page.getByRole('button', { name: 'Open' }).click();
    }
  };
  const range = (from: number, to: number) => `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`;

  beforeAll(async () => {
    stack = await startStack({ opensearch: false });
    key = await stack.createProject('shop');
    env = { ...stack.env, LOGFLOW_API_KEY: key };
    for (const service of ['api', 'checkout']) await ship(service, LINES.filter((l) => l.service === service));
    await eventually(async () => {
      const res = await fetch(`${stack.url}/search?${range(T0, T0 + HOUR)}`, { headers: { 'x-api-key': key } });
      return ((await res.json()) as { hits: unknown[] }).hits.length === LINES.length || undefined;
    }, 60_000, 'the events to be searchable');
    browser = await launchChromium();
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.url });
    browser.context.on('request', (r) => requests.push(r));
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy|Trusted Type/i.test(m.text())) problems.push(m.text());
    });
    await mkdir(ARTIFACTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.destroy();
  });

  it('asks for the API key once, then shows the events of the link, newest first, under a histogram', async () => {
    const response = await page.goto(`${stack.url}/?q=&${range(T0, T0 + HOUR)}`);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Open' }).click();
    await expect.poll(messages).toEqual(newestFirst(LINES));
    await expect.poll(() => page.locator('#hist-readout').textContent()).toContain('60 events');
    await expect.poll(() => page.locator('#hist-plot canvas').count()).toBe(1);
    expect(await page.locator('li.row.lvl-error').count()).toBe(LINES.filter((l) => l.level === 50).length);
    // The whole page from the server alone, with its CSP and the rest of its headers.
    const headers = response!.headers();
    expect(headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    expect(headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(headers['x-content-type-options']).toBe('nosniff');
    // A reload in the same tab does not ask again. How long it takes is kept, not asserted (a figure, not a test).
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll('#results li.row').length === 60);
    const timing = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const assets = performance.getEntriesByType('resource').filter((r) => r.name.includes('/assets/')) as PerformanceResourceTiming[];
      return {
        domContentLoadedMs: Math.round(nav.domContentLoadedEventEnd),
        eventsShownMs: Math.round(performance.now()),
        pageBytes: nav.encodedBodySize + assets.reduce((n, r) => n + r.encodedBodySize, 0),
      };
    });
    await writeFile(path.join(ARTIFACTS, 'timings.json'), JSON.stringify(timing, null, 2));
    console.info(`page reloaded until its 60 events show (this machine): ${JSON.stringify(timing)}`);
    expect(await page.getByLabel('API key').isVisible()).toBe(false);
  });

  it('expands an event to every field, as a table and as JSON that it copies', async () => {
    await visit(`/?q=${encodeURIComponent('card declined')}&${range(T0, T0 + HOUR)}`);
    await expect.poll(messages).toEqual(['charge failed']);
    await page.locator('li.row').first().click();
    const detail = page.locator('li.row.open .detail');
    const field = (name: string) => detail.locator('tr', { has: page.locator(`th:text-is("${name}")`) }).locator('td.val').textContent();
    expect(await field('trace_id')).toBe(TRACE);
    expect(await field('err.message')).toBe('card declined');
    expect(await field('err.stack')).toBe('CardError: card declined\n    at charge (/app/pay.js:10:5)');
    expect(await field('user_id')).toBe('101');
    await detail.getByRole('button', { name: 'JSON', exact: true }).click();
    const json = JSON.parse((await detail.locator('pre.json').textContent())!) as Record<string, unknown>;
    expect(json).toMatchObject({ message: 'charge failed', level: 'ERROR', service: 'checkout', trace_id: TRACE, metadata: { err: { message: 'card declined' } } });
    await detail.getByRole('button', { name: 'Copy JSON' }).click();
    await expect.poll(() => detail.locator('.copied').textContent()).toBe('Copied');
    expect(JSON.parse(await page.evaluate(() => navigator.clipboard.readText()))).toEqual(json);
  });

  it('zooms into the range dragged over on the histogram or a bar clicked, and Back zooms out', async () => {
    await visit(`/?${range(T0, T0 + HOUR)}`);
    await expect.poll(messages).toHaveLength(60);
    const plot = (await page.locator('#hist-plot .u-over').boundingBox())!;
    const y = plot.y + plot.height / 2;
    await page.mouse.move(plot.x + plot.width * 0.25, y);
    await page.mouse.down();
    await page.mouse.move(plot.x + plot.width * 0.5, y, { steps: 8 });
    await page.mouse.up();
    await expect.poll(() => new URL(page.url()).searchParams.get('from')).not.toBe(new Date(T0).toISOString());
    const url = new URL(page.url());
    const [from, to] = [Date.parse(url.searchParams.get('from')!), Date.parse(url.searchParams.get('to')!)];
    // About the second quarter of the hour.
    expect(from).toBeGreaterThan(T0 + 12 * 60_000);
    expect(from).toBeLessThan(T0 + 18 * 60_000);
    expect(to).toBeGreaterThan(T0 + 27 * 60_000);
    expect(to).toBeLessThan(T0 + 33 * 60_000);
    const inRange = LINES.filter((l) => l.time >= from && l.time < to);
    await expect.poll(messages).toEqual(newestFirst(inRange));
    await expect.poll(() => page.locator('#hist-readout').textContent()).toContain(`${inRange.length} events`);
    expect(await page.locator('#range').inputValue()).toBe('custom');
    await page.goBack();
    await expect.poll(messages).toHaveLength(60);
    // A click on one bar zooms into its bucket: a minute here, holding the event of minute 30.
    const bars = (await page.locator('#hist-plot .u-over').boundingBox())!;
    await page.mouse.click(bars.x + bars.width * (30.5 / 60), bars.y + bars.height - 3);
    await expect.poll(messages).toEqual(['request 30 handled in 90ms']);
    expect(new URL(page.url()).searchParams.get('from')).toBe(new Date(T0 + 30 * 60_000).toISOString());
    await page.goBack();
    await expect.poll(messages).toHaveLength(60);
  });

  it('adds a facet value to the query with a click, and takes it out with another', async () => {
    await visit(`/?${range(T0, T0 + HOUR)}`);
    await expect.poll(messages).toHaveLength(60);
    const service = page.locator('details.facet', { has: page.locator('.fname:text-is("service")') });
    expect(await service.locator('.fvalue').allTextContents()).toEqual(['checkout40', 'api20']);
    await service.locator('.fvalue', { hasText: 'api' }).click();
    await expect.poll(() => page.locator('#q').inputValue()).toBe('service:api');
    await expect.poll(messages).toEqual(newestFirst(LINES.filter((l) => l.service === 'api')));
    expect(new URL(page.url()).searchParams.get('q')).toBe('service:api');
    // Leave out a user: − beside the value.
    const user = page.locator('details.facet', { has: page.locator('.fname:text-is("user_id")') });
    await user.locator('li', { has: page.locator('.vtext:text-is("100")') }).getByRole('button', { name: /leave out/ }).click();
    await expect.poll(() => page.locator('#q').inputValue()).toBe('service:api -user_id:100');
    await expect.poll(messages).toEqual(newestFirst(LINES.filter((l) => l.service === 'api' && l.user_id !== 100)));
    await page.locator('details.facet', { has: page.locator('.fname:text-is("service")') }).locator('.fvalue', { hasText: 'api' }).click();
    await expect.poll(() => page.locator('#q').inputValue()).toBe('-user_id:100');
  });

  it('shows markup in log data as text and runs none of it', async () => {
    await visit(`/?q=onerror&${range(T0, T0 + HOUR)}`);
    await expect.poll(messages).toEqual([HOSTILE]);
    await page.locator('li.row').first().click();
    const note = page.locator('li.row.open tr', { has: page.locator('th:text-is("note")') }).locator('td.val');
    expect(await note.textContent()).toBe('<img src=x onerror="window.__pwned = 3">');
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('#results img, #results script, #facet-list img').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('follows new events live, holds them above while a person reads, and resumes after the server restarts', async () => {
    await visit(`/?q=service:live&from=15m`);
    await expect.poll(() => page.locator('li.empty').count()).toBe(1);
    await page.getByRole('button', { name: 'Live' }).click();
    await expect.poll(() => page.locator('#live').getAttribute('data-status')).toBe('live');
    expect(new URL(page.url()).searchParams.get('live')).toBe('1');
    await ship('live', [{ level: 30, msg: 'arrived live 1', time: Date.now() }]);
    await expect.poll(messages, { timeout: 10_000 }).toEqual(['arrived live 1']);

    // Enough events to scroll; at the top of the list they go on top as they come.
    const fillers = Array.from({ length: 40 }, (_, i) => ({ level: 30, msg: `filler ${i}`, time: Date.now() }));
    await ship('live', fillers);
    await expect.poll(async () => (await messages()).length, { timeout: 10_000 }).toBe(41);
    expect((await messages())[0]).toBe('filler 39');

    // Scrolled down, reading: the next event waits above, counted, and nothing moves.
    await page.evaluate(() => window.scrollTo(0, 300));
    const place = () => page.locator('li.row', { hasText: 'filler 20' }).evaluate((row) => row.getBoundingClientRect().top);
    const before = await place();
    await ship('live', [{ level: 40, msg: 'arrived live 2', time: Date.now() }]);
    await expect.poll(() => page.locator('#held').textContent(), { timeout: 10_000 }).toBe('▲ 1 new event');
    expect([(await messages())[0], await place()]).toEqual(['filler 39', before]);
    await page.locator('#held').click();
    await expect.poll(async () => (await messages()).slice(0, 2)).toEqual(['arrived live 2', 'filler 39']);
    expect(await page.evaluate(() => window.scrollY)).toBe(0);

    // An event opened is being read too, at the top as well.
    await page.locator('li.row').first().click();
    await ship('live', [{ level: 30, msg: 'arrived live 3', time: Date.now() }]);
    await expect.poll(() => page.locator('#held').textContent(), { timeout: 10_000 }).toBe('▲ 1 new event');
    expect((await messages())[0]).toBe('arrived live 2');
    // Folding it lets the waiting event in.
    await page.locator('li.row.open .line').click();
    await expect.poll(async () => (await messages()).slice(0, 2)).toEqual(['arrived live 3', 'arrived live 2']);
    expect(await page.locator('#held').isVisible()).toBe(false);

    // The server goes away; an event shipped meanwhile arrives once it is back, and nothing twice.
    await stop(stack.server);
    await expect.poll(() => page.locator('#live').getAttribute('data-status'), { timeout: 10_000 }).toBe('reconnecting');
    const shipped = ship('live', [{ level: 30, msg: 'arrived while away', time: Date.now() }]);
    await stack.startServer();
    await shipped;
    await expect.poll(async () => (await messages()).slice(0, 2), { timeout: 20_000 }).toEqual(['arrived while away', 'arrived live 3']);
    expect(await messages()).toHaveLength(44);
    const tails = requests.filter((r) => new URL(r.url()).pathname === '/tail');
    const resumed = await Promise.all(tails.slice(1).map(async (r) => (await r.allHeaders())['last-event-id']));
    expect(resumed.length).toBeGreaterThan(0);
    for (const id of resumed) expect(id).toMatch(/^\d+-\d+$/);
  });

  it('works on a phone-sized screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await visit(`/?${range(T0, T0 + HOUR)}`);
    await expect.poll(messages).toHaveLength(60);
    const fits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    expect(fits).toBe(true);
    const query = (await page.locator('#q').boundingBox())!;
    expect(query.x).toBeGreaterThanOrEqual(0);
    expect(query.x + query.width).toBeLessThanOrEqual(390);
    expect(query.width).toBeGreaterThan(300);
    expect(await page.locator('#facets-box').evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    expect(await page.locator('li.row .msg').first().isVisible()).toBe(true);
    expect(await page.locator('li.row .svc').first().isVisible()).toBe(false);
    await page.screenshot({ path: path.join(ARTIFACTS, 'phone.png') });
  });

  it('sends the key only as a header, and asks nothing of any other server', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await visit(`/?q=${encodeURIComponent('level:>=WARN')}&${range(T0, T0 + HOUR)}`);
    await expect.poll(messages).toHaveLength(LINES.filter((l) => l.level >= 40).length);
    await page.locator('li.row', { hasText: 'charge failed' }).click();
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(ARTIFACTS, 'desktop.png') });
    expect(requests.length).toBeGreaterThan(20);
    for (const r of requests) {
      expect(r.url().startsWith(`${stack.url}/`), r.url()).toBe(true);
      expect(r.url(), r.url()).not.toContain(key);
      expect(r.url(), r.url()).not.toContain(encodeURIComponent(key));
    }
    const api = requests.filter((r) => /^\/(search|tail)/.test(new URL(r.url()).pathname));
    expect(api.length).toBeGreaterThan(10);
    for (const r of api) expect((await r.allHeaders())['x-api-key']).toBe(key);
    expect(await page.evaluate(() => [sessionStorage.length, localStorage.length, document.cookie])).toEqual([1, 0, '']);
    expect(problems).toEqual([]);
  });
});
