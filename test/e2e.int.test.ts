import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli.ts';
import { eventually } from './helpers.ts';
import { startStack, type Stack } from './stack.ts';

// 10,000 lines as a service writes them: half pino JSON, half plain text, over ~3 hours of November.
const BASE = Date.parse('2026-11-01T00:00:00Z');
const LEVELS = ['INFO', 'INFO', 'INFO', 'WARN', 'ERROR', 'DEBUG'] as const;
const PINO = { DEBUG: 20, INFO: 30, WARN: 40, ERROR: 50 };

interface Line {
  service: 'api' | 'billing';
  level: (typeof LEVELS)[number];
  message: string;
  ts: number;
  text: string;
}

function generate(): Line[] {
  const lines: Line[] = [];
  for (let i = 0; i < 10_000; i++) {
    const service = i % 5 < 3 ? 'api' : 'billing';
    const level = LEVELS[Math.floor(i / 2) % LEVELS.length]!;
    const message = i % 7 === 0 ? `payment failed for order ${i}` : `request handled in ${i % 300} ms`;
    const ts = BASE + i * 1000;
    const text =
      i % 2 === 0
        ? JSON.stringify({ level: PINO[level], time: ts, pid: 4242, hostname: 'web-1', msg: message })
        : `${new Date(ts).toISOString()} ${level} ${message}`;
    lines.push({ service, level, message, ts, text });
  }
  return lines;
}

const lines = generate();
const count = (pred: (l: Line) => boolean) => lines.filter(pred).length;

async function search(stack: Stack, key: string, args: string[]): Promise<{ event_id: string; service: string; level: string; message: string }[]> {
  const r = await runCli(['search', ...args, '--limit', '100000', '--output', 'ndjson'], { ...stack.env, LOGFLOW_API_KEY: key });
  if (r.code !== 0) throw new Error(`search failed (${r.code}): ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

describe.each([
  { backend: 'OpenSearch', opensearch: true },
  { backend: 'PostgreSQL (OpenSearch off)', opensearch: false },
])('when 10,000 mixed lines are shipped and searched through $backend', ({ opensearch }) => {
  let stack: Stack;
  let keyA: string;
  let keyB: string;

  beforeAll(async () => {
    stack = await startStack({ opensearch });
    keyA = await stack.createProject('shop');
    keyB = await stack.createProject('other');
    for (const service of ['api', 'billing'] as const) {
      const input = lines.filter((l) => l.service === service).map((l) => l.text).join('\n') + '\n';
      const r = await runCli(['ship', '--service', service], { ...stack.env, LOGFLOW_API_KEY: keyA }, input);
      expect(r.code, r.stderr).toBe(0);
    }
    const other = Array.from({ length: 50 }, (_, i) => `${new Date(BASE + i).toISOString()} ERROR payment failed in project B ${i}`).join('\n');
    expect((await runCli(['ship', '--service', 'api'], { ...stack.env, LOGFLOW_API_KEY: keyB }, other)).code).toBe(0);
    await eventually(async () => ((await search(stack, keyA, [])).length === lines.length ? true : undefined), 90_000, 'every line to be searchable');
  });

  afterAll(async () => {
    await stack?.destroy();
  });

  it('finds every line exactly once', async () => {
    const hits = await search(stack, keyA, []);
    expect(hits).toHaveLength(10_000);
    expect(new Set(hits.map((h) => h.event_id)).size).toBe(10_000);
  });

  it('filters by service', async () => {
    expect(await search(stack, keyA, ['--service', 'api'])).toHaveLength(count((l) => l.service === 'api'));
    expect(await search(stack, keyA, ['--service', 'billing'])).toHaveLength(count((l) => l.service === 'billing'));
  });

  it('filters by level, one or several, read from JSON and from plain text alike', async () => {
    expect(await search(stack, keyA, ['--level', 'ERROR'])).toHaveLength(count((l) => l.level === 'ERROR'));
    expect(await search(stack, keyA, ['--level', 'warn,error'])).toHaveLength(count((l) => l.level === 'WARN' || l.level === 'ERROR'));
    expect(await search(stack, keyA, ['--level', 'DEBUG'])).toHaveLength(count((l) => l.level === 'DEBUG'));
  });

  it('finds text where every word matches', async () => {
    expect(await search(stack, keyA, ['payment', 'failed'])).toHaveLength(count((l) => l.message.startsWith('payment failed')));
    expect(await search(stack, keyA, ['payment failed', '--service', 'billing', '--level', 'WARN,ERROR'])).toHaveLength(
      count((l) => l.message.startsWith('payment failed') && l.service === 'billing' && (l.level === 'WARN' || l.level === 'ERROR')),
    );
    expect(await search(stack, keyA, ['payment', 'nonexistentword'])).toHaveLength(0);
  });

  it('filters by time range, from inclusive and to exclusive', async () => {
    const from = BASE + 2000 * 1000;
    const to = BASE + 5000 * 1000;
    const hits = await search(stack, keyA, ['--from', new Date(from).toISOString(), '--to', new Date(to).toISOString()]);
    expect(hits).toHaveLength(count((l) => l.ts >= from && l.ts < to));
  });

  it('never shows one project the logs of another', async () => {
    const b = await search(stack, keyB, []);
    expect(b).toHaveLength(50);
    expect(b.every((h) => h.message.includes('project B'))).toBe(true);
    expect((await search(stack, keyA, ['project', 'B'])).length).toBe(0);
  });

  it('prints nothing and says so when nothing matches', async () => {
    const r = await runCli(['search', 'zzzz-no-such-text'], { ...stack.env, LOGFLOW_API_KEY: keyA });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('no logs matched');
  });
});
