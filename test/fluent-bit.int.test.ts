import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogEvent } from '../shared/event.ts';
import { startBothStores, type BothStores } from './both-stores.ts';
import { exited } from './cli.ts';

// Fluent Bit itself, tailing a file and shipping it through each output that can reach LogFlow, each
// configured with nothing but host, port and the key (and for `http`, the URI with a service): every
// line is stored once per output, with a service, its level (a plain-text line's level word too), its
// message and its own time. Runs when FLUENT_BIT names a binary or `fluent-bit` is on the PATH.
function fluentBitBinary(): string | undefined {
  if (process.env.FLUENT_BIT) return existsSync(process.env.FLUENT_BIT) ? process.env.FLUENT_BIT : undefined;
  try {
    return execFileSync('sh', ['-c', 'command -v fluent-bit'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const binary = fluentBitBinary();
if (!binary) console.warn('test/fluent-bit.int.test.ts skipped: no fluent-bit binary (set FLUENT_BIT=/path/to/fluent-bit, or put fluent-bit on the PATH)');

const LINES = [
  '2026-11-01T10:00:01.250Z ERROR payment failed fb-1',
  'WARN cache miss for cart fb-2',
  'a plain line with no level word fb-3',
  '{"level":"debug","msg":"json line fb-4","time":"2026-11-01T10:00:04Z","user":7}',
  'level=error msg="logfmt line fb-5" ts=2026-11-01T10:00:05.500Z',
];

/** Each output, the settings that make it send here besides host, port and key, and the service its records get. */
const OUTPUTS: { name: string; settings: Record<string, string>; service: string }[] = [
  ...['json', 'json_lines', 'json_stream'].flatMap((format) =>
    ['off', 'gzip'].map((compress) => ({ name: `http ${format} ${compress}`, settings: { Name: 'http', URI: '/logs?service=api', Format: format, ...(compress === 'gzip' ? { Compress: 'gzip' } : {}) }, service: 'api' })),
  ),
  { name: 'es', settings: { Name: 'es' }, service: 'fluent-bit' }, // its default index, fluent-bit
  { name: 'loki', settings: { Name: 'loki' }, service: 'fluent-bit' }, // its default label, job=fluent-bit
  { name: 'opentelemetry', settings: { Name: 'opentelemetry' }, service: 'unknown_service' }, // it sends no resource: OpenTelemetry's name for that
];

(binary ? describe : describe.skip)(binary ? 'when Fluent Bit ships a file through its http, es, loki and opentelemetry outputs' : 'when Fluent Bit ships a file (skipped: set FLUENT_BIT or put fluent-bit on the PATH)', () => {
  let both: BothStores;
  let dir: string;
  let fluentBit: ChildProcess | undefined;
  let output = '';
  let started: number;
  let stopped: number;
  const keys = new Map<string, string>();
  const found = new Map<string, Record<'opensearch' | 'postgres', LogEvent[]>>();

  beforeAll(async () => {
    both = await startBothStores();
    dir = await mkdtemp(path.join(os.tmpdir(), 'logflow-fluent-bit-'));
    const { port } = new URL(both.stack.url);
    const sections: string[] = ['[SERVICE]\n    Flush 1\n    Grace 2\n    Log_Level warn'];
    sections.push(`[INPUT]\n    Name tail\n    Path ${path.join(dir, 'app.log')}\n    Read_from_Head true\n    Tag app`);
    for (const [i, o] of OUTPUTS.entries()) {
      const key = await both.stack.createProject(`fb${i}`);
      keys.set(o.name, key);
      const settings = { ...o.settings, Match: '*', Host: '127.0.0.1', Port: port, HTTP_User: 'fluent-bit', HTTP_Passwd: key };
      sections.push(`[OUTPUT]\n${Object.entries(settings).map(([k, v]) => `    ${k} ${v}`).join('\n')}`);
    }
    await writeFile(path.join(dir, 'app.log'), `${LINES.join('\n')}\n`);
    await writeFile(path.join(dir, 'fluent-bit.conf'), `${sections.join('\n\n')}\n`);
    started = Date.now();
    fluentBit = spawn(binary!, ['-c', path.join(dir, 'fluent-bit.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    fluentBit.stdout!.on('data', (b: Buffer) => (output += b.toString()));
    fluentBit.stderr!.on('data', (b: Buffer) => (output += b.toString()));
    for (const o of OUTPUTS) found.set(o.name, await both.search(keys.get(o.name)!, ['--since', '60d'], LINES.length));
    // Then stop it, and look again: a retry after the first answer must not have added a copy.
    fluentBit.kill('SIGTERM');
    await exited(fluentBit);
    stopped = Date.now();
    for (const o of OUTPUTS) found.set(o.name, await both.search(keys.get(o.name)!, ['--since', '60d'], LINES.length));
  });

  afterAll(async () => {
    if (fluentBit && fluentBit.exitCode === null) {
      fluentBit.kill('SIGKILL');
      await exited(fluentBit);
    }
    await both?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('does run without an output error', () => {
    expect(output).not.toMatch(/\[error\]/);
  });

  for (const o of OUTPUTS) {
    for (const store of ['opensearch', 'postgres'] as const) {
      it(`does store every line once, with service, level, message and its own time, through ${o.name} (${store})`, () => {
        const hits = found.get(o.name)![store];
        const of = (m: string) => hits.filter((h) => h.message.includes(m));
        expect(hits.map((h) => h.message.match(/fb-\d/)?.[0]).sort(), output).toEqual(['fb-1', 'fb-2', 'fb-3', 'fb-4', 'fb-5']);
        expect(hits.every((h) => h.service === o.service)).toBe(true);
        expect(of('fb-1')[0]).toMatchObject({ level: 'ERROR', message: LINES[0], timestamp: '2026-11-01T10:00:01.250Z' });
        expect(of('fb-2')[0]).toMatchObject({ level: 'WARN', message: LINES[1] });
        expect(of('fb-3')[0]).toMatchObject({ level: 'INFO', message: LINES[2] });
        expect(of('fb-4')[0]).toMatchObject({ level: 'DEBUG', message: 'json line fb-4', timestamp: '2026-11-01T10:00:04.000Z', metadata: { user: 7 } });
        expect(of('fb-5')[0]).toMatchObject({ level: 'ERROR', message: 'logfmt line fb-5', timestamp: '2026-11-01T10:00:05.500Z' });
        // Lines without a time of their own carry the time Fluent Bit read them, not the time LogFlow received them.
        for (const m of ['fb-2', 'fb-3']) {
          const t = Date.parse(of(m)[0]!.timestamp);
          expect(t).toBeGreaterThanOrEqual(started - 1000);
          expect(t).toBeLessThanOrEqual(stopped);
          expect(of(m)[0]!.metadata?.timestamp_source).toBeUndefined();
        }
      });
    }
  }
});
