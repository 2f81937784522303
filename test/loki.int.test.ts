import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import winston from 'winston';
import LokiTransport from 'winston-loki';
import type { LogEvent } from '../shared/event.ts';
import { startBothStores, type BothStores } from './both-stores.ts';

// winston-loki, a Loki client library, pointed at LogFlow as at Loki (host and Basic auth with the key
// as password): protobuf with snappy (its default, and Promtail's and Alloy's) and JSON with
// structured metadata. Every line is logged twice with the same time, as a client resends a push:
// each is stored once, with the service and level its labels give.
describe('when a Loki client pushes to POST /loki/api/v1/push', () => {
  let both: BothStores;
  let key: string;
  const errors: string[] = [];
  let found: Record<'opensearch' | 'postgres', LogEvent[]>;

  async function push(json: boolean, labels: Record<string, string>, lines: { level: string; message: string; timestamp: string; meta?: Record<string, unknown> }[]): Promise<void> {
    const transport = new LokiTransport({
      host: both.stack.url,
      basicAuth: `loki:${key}`,
      json,
      labels,
      interval: 0.2,
      replaceTimestamp: false,
      gracefulShutdown: false,
      onConnectionError: (err: unknown) => errors.push(String(err)),
    });
    const logger = winston.createLogger({ level: 'debug', transports: [transport] });
    for (let i = 0; i < 2; i++) {
      for (const { level, message, timestamp, meta } of lines) logger.log({ level, message, timestamp, ...meta });
      await transport.flush();
    }
    await transport.close();
    logger.close();
  }

  beforeAll(async () => {
    both = await startBothStores();
    key = await both.stack.createProject('loki');
    await push(false, { job: 'checkout', host: 'web-3' }, [
      { level: 'warn', message: 'payment slow loki-pb-1', timestamp: '2026-11-01T10:00:01.000Z' },
      { level: 'error', message: 'card declined loki-pb-2', timestamp: '2026-11-01T10:00:02.000Z' },
      { level: 'http', message: 'GET /cart loki-pb-3', timestamp: '2026-11-01T10:00:03.000Z' },
    ]);
    await push(true, { service_name: 'billing', env: 'prod', team: 'payments' }, [
      { level: 'info', message: 'invoice sent loki-json-1', timestamp: '2026-11-01T10:00:04.000Z', meta: { trace_id: 'feed42', invoice: 7 } },
      { level: 'debug', message: 'ledger detail loki-json-2', timestamp: '2026-11-01T10:00:05.500Z' },
    ]);
    await push(true, { job: 'checkout' }, [{ level: 'info', message: 'sentinel loki-last', timestamp: '2026-11-01T10:00:09.000Z' }]);
    found = await both.search(key, ['--from', '2026-11-01T00:00:00Z', '--to', '2026-11-02T00:00:00Z'], 6);
  });

  afterAll(async () => {
    await both?.destroy();
  });

  it('does take every push (204), in either encoding', () => {
    expect(errors).toEqual([]);
  });

  for (const store of ['opensearch', 'postgres'] as const) {
    it(`does make every line searchable once, with its labels' service, level and host, in ${store}`, () => {
      const hits = found[store];
      const of = (m: string) => hits.filter((h) => h.message.includes(m))[0];
      expect(hits.map((h) => h.message.match(/loki-[\w-]+/)?.[0]).sort()).toEqual(['loki-json-1', 'loki-json-2', 'loki-last', 'loki-pb-1', 'loki-pb-2', 'loki-pb-3']);
      expect(of('loki-pb-1')).toMatchObject({ service: 'checkout', level: 'WARN', host: 'web-3', timestamp: '2026-11-01T10:00:01.000Z', metadata: { job: 'checkout' } });
      expect(of('loki-pb-2')).toMatchObject({ service: 'checkout', level: 'ERROR' });
      expect(of('loki-pb-3')).toMatchObject({ service: 'checkout', level: 'INFO' });
      expect(of('loki-json-1')).toMatchObject({ service: 'billing', level: 'INFO', env: 'prod', trace_id: 'feed42', timestamp: '2026-11-01T10:00:04.000Z', metadata: { team: 'payments', invoice: '7' } });
      expect(of('loki-json-2')).toMatchObject({ service: 'billing', level: 'DEBUG', timestamp: '2026-11-01T10:00:05.500Z' });
    });
  }
});
