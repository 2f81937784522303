/* eslint-disable no-control-regex -- these tests look for control characters */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FieldsAnswer, HistogramAnswer } from '../shared/http.ts';
import { runCli, startCli, stop } from './cli.ts';
import { eventually } from './helpers.ts';
import { startStack, type Stack } from './stack.ts';

// Search as a user meets it: `logflow search` and the HTTP API of a running server and worker.

const T0 = Date.parse('2026-11-01T10:00:00.000Z');
const lines = [
  { level: 50, time: T0, msg: 'charge failed', reqId: 'req-123', trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', err: { type: 'CardError', message: 'card declined', stack: 'CardError: card declined\n    at charge (/app/pay.js:10:5)' } },
  { level: 30, time: T0 + 60_000, msg: 'payment accepted', http: { status: 200 }, user_id: 42 },
  { level: 40, time: T0 + 120_000, msg: 'slow upstream', http: { status: 503 } },
  { level: 30, time: T0 + 180_000, msg: 'evil \u001b[2K\u001b[31mred\u001b]0;title\u0007' },
];

async function get(stack: Stack, key: string, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${stack.url}${path}`, { headers: { 'x-api-key': key } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe.each([
  { backend: 'OpenSearch', opensearch: true },
  { backend: 'PostgreSQL', opensearch: false },
])('when a user searches through $backend', ({ opensearch }) => {
  let stack: Stack;
  let key: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    stack = await startStack({ opensearch });
    key = await stack.createProject('shop');
    env = { ...stack.env, LOGFLOW_API_KEY: key };
    const shipped = await runCli(['ship', '--service', 'checkout'], env, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    expect(shipped.code, shipped.stderr).toBe(0);
    await eventually(async () => ((await get(stack, key, '/search?q=')).body.hits as unknown[]).length === lines.length || undefined, 60_000, 'the lines to be searchable');
  });

  afterAll(async () => {
    await stack?.destroy();
  });

  it('finds metadata, request ids and fields with the query syntax', async () => {
    const find = async (q: string) => {
      const r = await runCli(['search', q, '--output', 'ndjson'], env);
      expect(r.code, r.stderr).toBe(0);
      return r.stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { message: string }).message);
    };
    expect(await find('card declined')).toEqual(['charge failed']);
    expect(await find('req-123')).toEqual(['charge failed']);
    expect(await find('http.status:>=500')).toEqual(['slow upstream']);
    expect(await find('level:ERROR OR user_id:42')).toEqual(['payment accepted', 'charge failed']);
    expect(await find('(level:ERROR OR user_id:42) -payment')).toEqual(['charge failed']);
    // An exclusion as its own argument, before the options, is a query term (not an unknown option).
    const excluded = await runCli(['search', '-(level:ERROR OR user_id:42)', '--output', 'ndjson', '-http.status:>=500'], env);
    expect(excluded.code, excluded.stderr).toBe(0);
    expect(excluded.stdout.split('\n').filter(Boolean)).toHaveLength(lines.length - 3);
    const byParam = await get(stack, key, '/search?trace_id=4bf92f3577b34da6a3ce929d0e0e4736&request_id=req-123');
    expect(byParam.status).toBe(200);
    expect((byParam.body.hits as { message: string }[]).map((h) => h.message)).toEqual(['charge failed']);
  });

  it('prints ids, the stack trace of an error and chosen fields, and escapes what would drive the terminal', async () => {
    const r = await runCli(['search', '--output', 'pretty', '--fields', 'http.status,user_id'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('charge failed trace_id=4bf92f3577b34da6a3ce929d0e0e4736 request_id=req-123\n    CardError: card declined\n        at charge (/app/pay.js:10:5)');
    expect(r.stdout).toContain('payment accepted http.status=200 user_id=42');
    expect(r.stdout).toContain('evil \\x1b[2K\\x1b[31mred\\x1b]0;title\\x07');
    expect(r.stdout).not.toMatch(/\x1b/);
  });

  it('answers every bad parameter with a 400 that names it', async () => {
    const cursor = Buffer.from('[1e300,"x"]').toString('base64url');
    for (const [path, name] of [
      ['/search?from=99999999999999d', 'from'],
      [`/search?cursor=${cursor}`, 'cursor'],
      ['/search?limit=abc', 'limit'],
      ['/search/histogram?buckets=0', 'buckets'],
      ['/search/fields?values=x', 'values'],
      ['/search?trace=1', 'trace'],
    ] as const) {
      const r = await get(stack, key, path);
      expect({ path, status: r.status }).toEqual({ path, status: 400 });
      expect(r.body.message).toMatch(new RegExp(`^(unknown parameter ")?${name}`));
    }
  });

  it('draws a histogram whose counts add up to the search, and answers fields', async () => {
    const range = `from=${new Date(T0).toISOString()}&to=${new Date(T0 + 240_000).toISOString()}`;
    const h = (await get(stack, key, `/search/histogram?${range}`)).body as unknown as HistogramAnswer;
    expect(h.total).toBe(lines.length);
    expect(h.interval_ms).toBe(5000);
    const f = (await get(stack, key, `/search/fields?${range}&q=http.status:*`)).body as unknown as FieldsAnswer;
    expect(f.fields.find((x) => x.name === 'http.status')).toEqual({ name: 'http.status', count: 2, values: [{ value: '200', count: 1 }, { value: '503', count: 1 }] });
    const drawn = await runCli(['search', '--histogram', '--buckets', '4', '--from', new Date(T0).toISOString(), '--to', new Date(T0 + 240_000).toISOString()], env);
    expect(drawn.code, drawn.stderr).toBe(0);
    expect(drawn.stdout.split('\n').slice(0, 5)).toEqual([
      '4 events from 2026-11-01T10:00:00.000Z to 2026-11-01T10:04:00.000Z, one bar per minute',
      expect.stringMatching(/^2026-11-01 10:00 1 #+$/),
      expect.stringMatching(/^2026-11-01 10:01 1 =+$/),
      expect.stringMatching(/^2026-11-01 10:02 1 !+$/),
      expect.stringMatching(/^2026-11-01 10:03 1 =+$/),
    ]);
  });

  it('prints, with --follow, a matching event ingested after it started, and ends with 0 on Ctrl-C', async () => {
    const child = startCli(['search', '--follow', 'level:ERROR', '--output', 'ndjson'], env);
    try {
      await eventually(async () => (child.output().includes('following new events') ? true : undefined), 30_000, 'the tail to start');
      const sentAt = Date.now();
      const marker = `followed-${sentAt}`;
      const info = JSON.stringify({ level: 30, time: Date.now(), msg: `${marker} info` });
      const error = JSON.stringify({ level: 50, time: Date.now(), msg: `${marker} error` });
      expect((await runCli(['ship', '--service', 'live'], env, `${info}\n${error}\n`)).code).toBe(0);
      await eventually(async () => (child.output().includes(`${marker} error`) ? true : undefined), 5000, 'the followed event');
      expect(Date.now() - sentAt).toBeLessThan(5000);
      expect(child.output()).not.toContain(`${marker} info`);
      child.kill('SIGINT');
      const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      expect(code).toBe(0);
    } finally {
      await stop(child);
    }
  });

  it('tells a reader that does not keep up how many events it missed', async () => {
    // A reader that stops reading: the server must neither hold its events without bound nor skip them silently.
    const url = new URL('/tail', stack.url);
    const chunks: string[] = [];
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.get(url, { headers: { 'x-api-key': key } }, resolve);
      req.on('error', reject);
    });
    res.setEncoding('utf8');
    res.on('data', (c: string) => chunks.push(c));
    await eventually(async () => (chunks.join('').includes('event: ready') ? true : undefined), 10_000, 'ready');
    res.pause();
    const big = 'x'.repeat(4000);
    const batch = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ timestamp: new Date().toISOString(), service: 'flood', level: 'INFO', message: `${big} ${i}` }));
    for (let round = 0; round < 6; round++) {
      const r = await fetch(`${stack.url}/logs`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/x-ndjson' }, body: batch.join('\n') });
      expect(r.status).toBe(200);
    }
    res.resume();
    await eventually(async () => (chunks.join('').includes('event: missed') ? true : undefined), 30_000, 'the missed notice');
    const tally = () => {
      const text = chunks.join('');
      const missed = [...text.matchAll(/event: missed\ndata: (.*)\n/g)].reduce((n, m) => n + (JSON.parse(m[1]!) as { missed: number }).missed, 0);
      return { delivered: text.split('event: log\n').length - 1, missed };
    };
    // Every event is either delivered or counted as missed, once: nothing is skipped without a word.
    await eventually(async () => (tally().delivered + tally().missed === 6000 ? true : undefined), 30_000, 'every event delivered or counted');
    expect(tally().missed).toBeGreaterThan(0);
    expect(tally().delivered).toBeGreaterThan(0);
    res.destroy();
  });

  it('answers a project\'s eleventh live tail on one server 429, saying why, until one closes', async () => {
    const open = (): Promise<http.IncomingMessage> =>
      new Promise((resolve, reject) => {
        const req = http.get(new URL('/tail', stack.url), { headers: { 'x-api-key': key } }, resolve);
        req.on('error', reject);
      });
    const ready = async (res: http.IncomingMessage) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      await eventually(async () => (text.includes('event: ready') ? true : undefined), 10_000, 'ready');
    };
    const tails: http.IncomingMessage[] = [];
    try {
      for (let i = 0; i < 10; i++) {
        const res = await open();
        tails.push(res);
        expect(res.statusCode).toBe(200);
        await ready(res);
      }
      const refused = await open();
      tails.push(refused);
      expect(refused.statusCode).toBe(429);
      expect(refused.headers['retry-after']).toBe('5');
      const body = await new Promise<string>((resolve) => {
        let text = '';
        refused.on('data', (c: Buffer) => (text += c.toString()));
        refused.on('end', () => resolve(text));
      });
      expect(JSON.parse(body)).toMatchObject({ message: expect.stringContaining('10 live tails open on this server') });
      tails.shift()!.destroy();
      await eventually(async () => {
        const res = await open();
        tails.push(res);
        return res.statusCode === 200 ? true : undefined;
      }, 10_000, 'a tail once another closed');
    } finally {
      for (const t of tails) t.destroy();
    }
  });
});

describe('when the command line is wrong', () => {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, LOGFLOW_URL: 'http://127.0.0.1:9', LOGFLOW_API_KEY: 'lf_x' };
  it.each([
    [['search', '--from', '2026-11-02T00:00:00Z', '--to', '2026-11-01T00:00:00Z'], /--from \(2026-11-02T00:00:00Z\) is later than --to/],
    [['search', '--from', '99999999999999d'], /--from: "99999999999999d" is outside the times LogFlow can hold/],
    [['search', '--follow', '--since', '1h'], /--follow shows events as they arrive/],
    [['search', '--follow', '--output', 'json'], /with --follow use --output ndjson/],
    [['search', '--buckets', '5'], /--buckets goes with --histogram/],
  ])('exits 2 for %j', async (args, message) => {
    const r = await runCli(args, env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
