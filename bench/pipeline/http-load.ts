// Sends request bodies made beforehand, `concurrency` at a time over keep-alive connections, so the
// load generator costs little next to the server it measures. A 429 or 503 is sent again after its
// Retry-After, as a real agent would, and counted.
import http from 'node:http';

export interface Body {
  payload: Buffer;
  events: number;
}

export interface LoadResult {
  seconds: number;
  requests: number;
  /** Events in the requests answered 2xx. */
  events: number;
  statuses: Map<number, number>;
  retried: number;
  latenciesMs: number[];
  /** The first answer that was neither 2xx nor a retry, to say why. */
  firstFailure?: string;
}

export interface Endpoint {
  url: string;
  path: string;
  headers: Record<string, string>;
}

interface Answer {
  status: number;
  text: string;
  retryAfter: number;
}

export function post(agent: http.Agent, e: Endpoint, payload: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const u = new URL(e.path, e.url);
    const req = http.request(u, { method: 'POST', agent, headers: { ...e.headers, 'content-length': payload.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), retryAfter: Number(res.headers['retry-after'] ?? 1) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Sends every body once (retrying 429/503), `concurrency` in flight. */
export async function sendAll(e: Endpoint, bodies: Body[], concurrency: number): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const result: LoadResult = { seconds: 0, requests: 0, events: 0, statuses: new Map(), retried: 0, latenciesMs: [] };
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      for (;;) {
        const t0 = performance.now();
        const a = await post(agent, e, body.payload);
        result.latenciesMs.push(performance.now() - t0);
        result.requests++;
        result.statuses.set(a.status, (result.statuses.get(a.status) ?? 0) + 1);
        if (a.status === 429 || a.status === 503) {
          result.retried++;
          await new Promise((r) => setTimeout(r, Math.max(0.1, a.retryAfter) * 1000));
          continue;
        }
        if (a.status >= 200 && a.status < 300) result.events += body.events;
        else result.firstFailure ??= `HTTP ${a.status}: ${a.text.slice(0, 300)}`;
        break;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  result.seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return result;
}

export function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
