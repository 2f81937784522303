import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test/cli.ts';
import { uniqueName } from '../../test/helpers.ts';
import { parsePrometheus } from '../../test/prometheus.ts';
import { openQueue } from '../queue/open.ts';
import type { EventQueue } from '../queue/queue.ts';
import { addQueueMetrics } from './collectors.ts';
import { MetricsServer } from './metrics-server.ts';
import { Metrics } from './metrics.ts';

// A worker's queue connection waits for Redis to come back; its metrics must not: a scrape while
// Redis is away answers at once, the queue's gauges left out and logflow_queue_up 0.
describe('when the metrics port is scraped while Redis is away', () => {
  let queue: EventQueue;
  let server: MetricsServer;
  let url: string;

  beforeAll(async () => {
    queue = await openQueue({ REDIS_URL: `redis://127.0.0.1:${await freePort()}`, LOGFLOW_NAMESPACE: uniqueName('t') }, 'patient');
    const metrics = new Metrics();
    addQueueMetrics(metrics, queue);
    server = new MetricsServer(metrics);
    const address = await server.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${address.port}`;
  });

  afterAll(async () => {
    await server?.close();
    queue?.close();
  });

  it('does answer within the scrape, saying the queue is down', async () => {
    const started = Date.now();
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    const m = parsePrometheus(await res.text());
    expect(Date.now() - started).toBeLessThan(5000);
    expect(m.sum('logflow_queue_up')).toBe(0);
    expect(m.has('logflow_queue_lag_events')).toBe(false);
    expect(m.sum('logflow_queue_backlog_events')).toBeNaN();
  });

  it('does answer 404 off /metrics and 405 to another method', async () => {
    expect((await fetch(`${url}/`)).status).toBe(404);
    expect((await fetch(`${url}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});
