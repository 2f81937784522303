import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import winston from 'winston';
import { runCli } from './cli.ts';
import { eventually } from './helpers.ts';
import { startStack, type Stack } from './stack.ts';

// winston 3's own Http transport, configured as its README says and nothing more (no defaultMeta, no
// timestamp format): before, LogFlow refused what it sends and winston logged "Invalid HTTP Status
// Code: 202" for every batch it did take.
describe('when winston\'s Http transport sends to POST /logs', () => {
  let stack: Stack;
  let key: string;
  const warnings: string[] = [];

  /** Logs the lines and waits for the transport's verdict on each of its `requests` requests ('logged' or 'warn'). */
  async function send(transport: winston.transport, lines: [string, string][], requests: number): Promise<void> {
    const logger = winston.createLogger({ level: 'silly', transports: [transport] });
    let answered = 0;
    transport.on('warn', (err: Error) => {
      warnings.push(err.message);
      answered++;
    });
    transport.on('logged', () => answered++);
    for (const [level, message] of lines) logger.log(level, message, { order: 7 });
    await eventually(async () => (answered >= requests ? true : undefined), 30_000, 'winston to hear back');
    logger.close();
  }

  beforeAll(async () => {
    stack = await startStack({ opensearch: true });
    key = await stack.createProject('winston');
    const { hostname, port } = new URL(stack.url);
    const one = new winston.transports.Http({ host: hostname, port: Number(port), path: '/logs?service=web', auth: { username: 'winston', password: key } });
    await send(one, [['http', 'GET /cart one'], ['silly', 'cart detail one'], ['error', 'payment failed one']], 3);
    const batch = new winston.transports.Http({ host: hostname, port: Number(port), path: '/logs?service=web', auth: { bearer: key }, batch: true, batchCount: 3, batchInterval: 100 });
    await send(batch, [['info', 'GET /cart batch'], ['warn', 'slow batch'], ['verbose', 'detail batch']], 1);
  });

  afterAll(async () => {
    await stack?.destroy();
  });

  it('does answer what winston counts as success, for single events and batches', () => {
    expect(warnings).toEqual([]); // before: "Invalid HTTP Status Code: 202" or 400 for each
  });

  it('does make every record searchable with its level, OpenSearch and PostgreSQL alike', async () => {
    const want = [
      ['web', 'INFO', 'GET /cart one'], ['web', 'DEBUG', 'cart detail one'], ['web', 'ERROR', 'payment failed one'],
      ['web', 'INFO', 'GET /cart batch'], ['web', 'WARN', 'slow batch'], ['web', 'DEBUG', 'detail batch'],
    ].sort();
    const hits = await eventually(async () => {
      const r = await runCli(['search', '--output', 'ndjson', '--since', '1h'], { ...stack.env, LOGFLOW_API_KEY: key });
      const lines = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { service: string; level: string; message: string; metadata?: Record<string, unknown> });
      return lines.length >= want.length ? lines : undefined;
    }, 60_000, 'winston\'s records to be searchable');
    expect(hits.map((h) => [h.service, h.level, h.message]).sort()).toEqual(want);
    expect(hits.every((h) => h.metadata?.order === 7 && h.metadata.timestamp_source === 'received')).toBe(true);
    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query("SELECT service, level, message FROM logs WHERE service = 'web'");
      expect(rows.map((r) => [r.service, r.level, r.message]).sort()).toEqual(want);
    } finally {
      await db.end();
    }
  });
});
