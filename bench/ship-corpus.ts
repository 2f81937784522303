// The input of bench/ship.bench.ts: a log file of the shapes the agent meets in the wild (pino JSON,
// Go slog logfmt, plain text with ISO times and levels, nginx access lines, Java and Python stack
// traces), generated once with a fixed seed and kept under the system temp directory.
import { createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { rename } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MultilineJoiner } from '../cli/ship/transforms/multiline.ts';

/** Bump when the shapes change, so a stale cached file is not measured. */
const VERSION = 2;

export interface Corpus {
  file: string;
  lines: number;
  /** Events the shipper makes of it: what the receiver must count (traces join the line above). */
  events: number;
  traceLines: number;
  bytes: number;
}

/** The cached corpus of `lines` lines, made first when absent. */
export async function ensureCorpus(lines: number): Promise<{ corpus: Corpus; generated: boolean }> {
  const file = path.join(os.tmpdir(), `logflow-bench-ship-v${VERSION}-${lines}.log`);
  const meta = `${file}.json`;
  if (existsSync(file) && existsSync(meta)) return { corpus: JSON.parse(readFileSync(meta, 'utf8')) as Corpus, generated: false };
  const corpus = await generate(file, lines);
  writeFileSync(meta, JSON.stringify(corpus));
  return { corpus, generated: true };
}

async function generate(file: string, total: number): Promise<Corpus> {
  const rand = mulberry32(20261101);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const out = createWriteStream(`${file}.tmp`);
  // The real joiner counts the events, so the expected figure cannot drift from the shipper's rules.
  const joiner = new MultilineJoiner({ maxBytes: 200 * 1024, idleMs: Number.MAX_SAFE_INTEGER });
  let written = 0;
  let events = 0;
  let traceLines = 0;
  let bytes = 0;
  let chunk: string[] = [];
  let ms = Date.UTC(2026, 10, 1, 10, 0, 0);

  const emit = async (line: string, trace = false) => {
    const len = Buffer.byteLength(line) + 1;
    events += joiner.push(line, bytes, bytes + len, 0).length;
    bytes += len;
    written++;
    if (trace) traceLines++;
    chunk.push(line);
    if (chunk.length >= 4096) {
      if (!out.write(chunk.join('\n') + '\n')) await once(out, 'drain');
      chunk = [];
    }
  };

  while (written < total) {
    ms += Math.floor(rand() * 7);
    const r = rand();
    const room = total - written;
    if (r < 0.003 && room > 40) {
      const trace = rand() < 0.6 ? javaTrace(ms, rand, pick) : pythonTrace(ms, rand, pick);
      await emit(trace[0]!);
      for (const t of trace.slice(1)) await emit(t, true);
    } else if (r < 0.35) await emit(pino(ms, rand, pick));
    else if (r < 0.55) await emit(slog(ms, rand, pick));
    else if (r < 0.75) await emit(plain(ms, rand, pick));
    else await emit(nginx(ms, rand, pick));
  }
  events += joiner.flush().length;
  out.end(chunk.length ? chunk.join('\n') + '\n' : '');
  await once(out, 'finish');
  await rename(`${file}.tmp`, file);
  return { file, lines: written, events, traceLines, bytes };
}

type Rand = () => number;
type Pick = <T>(xs: readonly T[]) => T;

const ROUTES = ['/api/users/:id', '/api/orders', '/api/orders/:id/pay', '/health', '/api/search', '/api/cart/items', '/login', '/static/app.js'];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];
const HOSTS = ['web-1', 'web-2', 'api-7c9f', 'worker-3'];
const UAS = ['curl/8.5.0', 'Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15', 'kube-probe/1.30', 'Go-http-client/1.1'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const hex = (rand: Rand, n: number) => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join('');
const ip = (rand: Rand) => `10.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}.${1 + Math.floor(rand() * 254)}`;
const route = (rand: Rand, pick: Pick) => pick(ROUTES).replace(':id', String(Math.floor(rand() * 100_000)));
const status = (rand: Rand) => { const r = rand(); return r < 0.9 ? 200 : r < 0.95 ? 404 : r < 0.98 ? 401 : 500; };

function pino(ms: number, rand: Rand, pick: Pick): string {
  const base = `"time":${ms},"pid":4821,"hostname":"${pick(HOSTS)}","reqId":"req-${Math.floor(rand() * 1e6)}"`;
  const r = rand();
  if (r < 0.45) return `{"level":30,${base},"req":{"method":"${pick(METHODS)}","url":"${route(rand, pick)}","host":"shop.example.com","remoteAddress":"${ip(rand)}","remotePort":${40000 + Math.floor(rand() * 20000)}},"msg":"incoming request"}`;
  if (r < 0.9) return `{"level":30,${base},"res":{"statusCode":${status(rand)}},"responseTime":${(rand() * 80).toFixed(4)},"msg":"request completed"}`;
  if (r < 0.97) return `{"level":40,${base},"cache":"redis","latencyMs":${Math.floor(rand() * 900)},"msg":"cache slow, serving stale"}`;
  return `{"level":50,${base},"err":{"type":"Error","message":"connect ECONNREFUSED 10.0.0.5:5432","stack":"Error: connect ECONNREFUSED 10.0.0.5:5432\\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1607:16)"},"msg":"query failed"}`;
}

function slog(ms: number, rand: Rand, pick: Pick): string {
  const t = new Date(ms).toISOString();
  const r = rand();
  if (r < 0.7) return `time=${t} level=INFO msg="request handled" method=${pick(METHODS)} path=${route(rand, pick)} status=${status(rand)} duration=${(rand() * 50).toFixed(3)}ms trace_id=${hex(rand, 32)}`;
  if (r < 0.9) return `time=${t} level=DEBUG msg="cache lookup" key=user:${Math.floor(rand() * 1e5)} hit=${rand() < 0.8}`;
  if (r < 0.97) return `time=${t} level=WARN msg="retrying upstream" upstream=payments attempt=${1 + Math.floor(rand() * 4)} err="context deadline exceeded"`;
  return `time=${t} level=ERROR msg="payment failed" order=ord_${Math.floor(rand() * 1e5)} err="card declined" trace_id=${hex(rand, 32)}`;
}

function plain(ms: number, rand: Rand, pick: Pick): string {
  const t = new Date(ms).toISOString();
  const r = rand();
  if (r < 0.5) return `${t.slice(0, 10)} ${t.slice(11, 19)},${t.slice(20, 23)} INFO [app.orders] order ord_${Math.floor(rand() * 1e5)} created for user ${Math.floor(rand() * 1e5)}`;
  if (r < 0.8) return `${t}  INFO 4821 --- [nio-8080-exec-${1 + Math.floor(rand() * 9)}] c.a.billing.OrderService               : Fetched ${Math.floor(rand() * 50)} orders in ${Math.floor(rand() * 40)} ms`;
  if (r < 0.95) return `${t}  WARN 4821 --- [nio-8080-exec-${1 + Math.floor(rand() * 9)}] com.zaxxer.hikari.pool.HikariPool        : HikariPool-1 - Pool is ${80 + Math.floor(rand() * 20)}% full`;
  return `${t.slice(0, 10)} ${t.slice(11, 19)},${t.slice(20, 23)} ERROR [app.db] connection refused (host=${pick(HOSTS)}), retrying in 5s`;
}

function nginx(ms: number, rand: Rand, pick: Pick): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  const when = `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
  return `${ip(rand)} - - [${when}] "${pick(METHODS)} ${route(rand, pick)} HTTP/1.1" ${status(rand)} ${Math.floor(rand() * 20000)} "-" "${pick(UAS)}"`;
}

function javaTrace(ms: number, rand: Rand, pick: Pick): string[] {
  const t = new Date(ms).toISOString();
  const frames = ['com.acme.billing.ChargeService.charge(ChargeService.java:88)', 'com.acme.billing.OrderController.pay(OrderController.java:41)', 'java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)', 'org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:885)', 'org.apache.catalina.core.ApplicationFilterChain.doFilter(ApplicationFilterChain.java:166)', 'org.apache.tomcat.util.threads.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1190)'];
  const lines = [`${t} ERROR 4821 --- [nio-8080-exec-${1 + Math.floor(rand() * 9)}] o.a.c.c.C.[.[.[/].[dispatcherServlet]    : Servlet.service() for servlet [dispatcherServlet] threw exception`];
  lines.push(`java.lang.IllegalStateException: Failed to charge order ord_${Math.floor(rand() * 1e5)}`);
  for (let i = 0, n = 4 + Math.floor(rand() * 6); i < n; i++) lines.push(`\tat ${pick(frames)}`);
  lines.push('Caused by: java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 30000ms.');
  lines.push('\tat com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:696)', '\tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:181)');
  lines.push(`\t... ${10 + Math.floor(rand() * 10)} more`);
  return lines;
}

function pythonTrace(ms: number, rand: Rand, pick: Pick): string[] {
  const t = new Date(ms).toISOString();
  const lines = [`${t.slice(0, 10)} ${t.slice(11, 19)},${t.slice(20, 23)} ERROR billing.worker: payment failed for ord_${Math.floor(rand() * 1e5)}`, 'Traceback (most recent call last):'];
  for (let i = 0, n = 2 + Math.floor(rand() * 3); i < n; i++) {
    lines.push(`  File "/app/billing/${pick(['gateway', 'worker', 'client'])}.py", line ${10 + Math.floor(rand() * 200)}, in ${pick(['charge', 'run', 'post'])}`);
    lines.push(`    resp = self.session.post(url, json=body, timeout=5)`);
  }
  lines.push(`requests.exceptions.ConnectionError: HTTPSConnectionPool(host='pay.example.com', port=443): Max retries exceeded`);
  return lines;
}

/** A small, seeded PRNG: the same corpus on every machine. */
function mulberry32(seed: number): Rand {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
