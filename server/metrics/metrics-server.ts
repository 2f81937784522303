import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from './metrics.ts';

/** GET /metrics: the process's metrics in Prometheus' text format, for anyone who can reach the port (they name no project). */
export async function serveMetrics(res: ServerResponse, m: Metrics): Promise<void> {
  const { contentType, text } = await m.scrape();
  res.setHeader('content-type', contentType);
  res.setHeader('content-length', String(Buffer.byteLength(text)));
  res.writeHead(200);
  res.end(text);
}

/** The worker's metrics port (`logflow worker --metrics-port`): GET /metrics and nothing else. */
export class MetricsServer {
  private server?: Server;
  private closing?: Promise<void>;

  constructor(private readonly metrics: Metrics) {}

  async listen(port: number, host: string): Promise<AddressInfo> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path !== '/metrics') return answer(res, 404, 'no route: GET /metrics\n');
      if (req.method !== 'GET' && req.method !== 'HEAD') return answer(res, 405, 'GET /metrics only\n');
      serveMetrics(res, this.metrics).catch((err: Error) => answer(res, 500, `metrics failed: ${err.message}\n`));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return server.address() as AddressInfo;
  }

  /** Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }
}

function answer(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}
