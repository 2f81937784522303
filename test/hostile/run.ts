// Sends a seeded stream of hostile requests (every endpoint's classes, and HTTP broken by framing.ts)
// at running servers, good events of another project beside them on the same keep-alive connections,
// and holds every answer to the harness's rules: never 5xx; JSON, with a message when it refuses; a
// keep-alive connection never fails because the request before was refused; good events are taken;
// the server lets go of a broken connection in time (raw.ts). Which events the server took
// is kept in a ledger, for stores.ts to count in every store.
import http from 'node:http';
import { ENDPOINTS } from './endpoints.ts';
import { framingClasses } from './framing.ts';
import { logflowAnswer } from './answers.ts';
import { goodEvent, ndjson } from './build.ts';
import { judgeRaw, lateHolds, sendRaw, type Holds } from './raw.ts';
import { Rng, type CaseContext, type HostileClass, type HttpCase, type RawCase } from './types.ts';

export interface HostileOptions {
  seed: number;
  /** Hostile requests to send (good ones beside them are not counted). */
  requests: number;
  /** Base URLs of the servers (one search backend each); every request goes to one of them. */
  servers: string[];
  keys: CaseContext['keys'];
  maxBodyBytes: number;
  requestTimeoutMs: number;
  /** Keep-alive connections used at once. */
  lanes?: number;
}

/** Which events the servers said they took, by marker, and for which project. */
export interface Ledger {
  accepted: Map<string, 'hostile' | 'other'>;
  refused: Set<string>;
  /** Events a broken request may or may not have delivered: once in every store, or in none. */
  maybe: Set<string>;
  /** Where each marker was sent: the class, the request and its answer, for the report of what went wrong. */
  origin: Map<string, string>;
}

export interface Figures {
  seed: number;
  byClass: Map<string, { tried: number; answers: Map<string, number> }>;
  answers: Map<string, number>;
  violations: string[];
  violationCount: number;
  ledger: Ledger;
  goodRequests: number;
  slowestMs: number;
  /** Raw connections per class, and those held past the request timeout (raw.ts). */
  holds: Holds;
}

const MAX_VIOLATIONS_KEPT = 30;

export async function runHostile(o: HostileOptions): Promise<Figures> {
  const rng = new Rng(o.seed);
  const run = (o.seed >>> 0).toString(36);
  let n = 0;
  const ctx: CaseContext = { rng, marker: () => `hq${run}x${n++}z`, fcSeed: () => rng.int(0, 2 ** 31 - 1), keys: o.keys, maxBodyBytes: o.maxBodyBytes, requestTimeoutMs: o.requestTimeoutMs, now: Date.now() };
  const classes: HostileClass[] = [...ENDPOINTS.flatMap((e) => e.classes), ...framingClasses(ENDPOINTS)];
  const total = classes.reduce((a, c) => a + c.weight, 0);
  const pick = () => {
    let x = rng.next() * total;
    for (const c of classes) if ((x -= c.weight) < 0) return c;
    return classes.at(-1)!;
  };
  const f: Figures = { seed: o.seed, byClass: new Map(), answers: new Map(), violations: [], violationCount: 0, ledger: { accepted: new Map(), refused: new Set(), maybe: new Set(), origin: new Map() }, goodRequests: 0, slowestMs: 0, holds: new Map() };
  const httpCases: HttpCase[] = [];
  const rawCases: RawCase[] = [];
  for (let i = 0; i < o.requests; i++) {
    const c = pick().make(ctx);
    if (c.kind === 'http') httpCases.push(c);
    else rawCases.push(c);
  }
  // Good requests of another project, one after each hostile one on the same lane, half of the time.
  const bystanders = httpCases.map(() => (rng.chance(0.5) ? { ...ndjson(ctx, 'good, another project', Array.from({ length: rng.int(1, 4) }, () => goodEvent(ctx, 'bystander'))), headers: { 'content-type': 'application/x-ndjson', 'x-api-key': o.keys.other }, expect: [200] } : undefined));
  const violate = (what: string) => {
    f.violationCount++;
    if (f.violations.length < MAX_VIOLATIONS_KEPT) f.violations.push(what);
  };
  const count = (cls: string, answer: string) => {
    const byClass = f.byClass.get(cls) ?? { tried: 0, answers: new Map<string, number>() };
    f.byClass.set(cls, byClass);
    byClass.tried++;
    byClass.answers.set(answer, (byClass.answers.get(answer) ?? 0) + 1);
    f.answers.set(answer, (f.answers.get(answer) ?? 0) + 1);
  };

  const agent = new http.Agent({ keepAlive: true, maxSockets: o.lanes ?? 4 });
  let next = 0;
  const lane = async () => {
    let previous = 'none';
    while (next < httpCases.length) {
      const i = next++;
      const c = httpCases[i]!;
      for (let r = 0; r < (c.repeat ?? 1); r++) {
        const a = await send(agent, rng.pick(o.servers), c);
        f.slowestMs = Math.max(f.slowestMs, a.ms);
        count(c.class, a.error ? `error ${a.error}` : String(a.status));
        judge(c, a, previous, f.ledger, 'hostile', violate);
        previous = c.class;
      }
      const good = bystanders[i];
      if (good) {
        const a = await send(agent, rng.pick(o.servers), good);
        f.goodRequests++;
        judge(good, a, previous, f.ledger, 'other', violate);
      }
    }
  };
  const portOf = (url: string) => Number(new URL(url).port);
  let nextRaw = 0;
  const rawLane = async () => {
    while (nextRaw < rawCases.length) {
      const c = rawCases[nextRaw++]!;
      const a = await sendRaw(portOf(rng.pick(o.servers)), c, o.requestTimeoutMs * 2 + 8000);
      f.slowestMs = Math.max(f.slowestMs, a.ms);
      count(c.class, a.statuses.length ? a.statuses.join('+') : 'closed');
      judgeRaw(c, a, o.requestTimeoutMs, f.ledger, f.holds, violate);
    }
  };
  try {
    await Promise.all([...Array.from({ length: o.lanes ?? 4 }, lane), ...Array.from({ length: 16 }, rawLane)]);
  } finally {
    agent.destroy();
  }
  for (const v of lateHolds(f.holds, o.requestTimeoutMs)) violate(v);
  return f;
}

interface Answer {
  status?: number;
  error?: string;
  contentType?: string;
  text: string;
  ms: number;
}

function send(agent: http.Agent, base: string, c: HttpCase): Promise<Answer> {
  const started = Date.now();
  return new Promise((resolve) => {
    const headers = { ...c.headers, ...(c.body && !c.chunked ? { 'content-length': String(c.body.length) } : {}) };
    const req = http.request(`${base}${c.path}`, { method: c.method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () => resolve({ status: res.statusCode, contentType: res.headers['content-type'], text: Buffer.concat(chunks).toString(), ms: Date.now() - started }));
      res.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message, text: '', ms: Date.now() - started }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message, text: '', ms: Date.now() - started }));
    if (c.body && c.chunked) {
      for (let i = 0; i < c.body.length; i += 65_536) req.write(c.body.subarray(i, i + 65_536));
      req.end();
    } else req.end(c.body);
  });
}

/** Holds one answer to the rules, and writes what the server took into the ledger. */
function judge(c: HttpCase, a: Answer, previous: string, ledger: Ledger, project: 'hostile' | 'other', violate: (what: string) => void): void {
  const where = `${c.class}: ${c.method} ${c.path.slice(0, 80)}`;
  const markers = c.markers ?? [];
  if (a.error || a.status === undefined) {
    violate(`${where}: no answer (${a.error}) on a keep-alive connection, after "${previous}"`);
    for (const m of markers) if (m) ledger.maybe.add(m);
    return;
  }
  if (a.status >= 500) violate(`${where}: answered ${a.status}: ${a.text.slice(0, 200)}`);
  if (c.expect && !c.expect.includes(a.status)) violate(`${where}: answered ${a.status}, expected ${c.expect.join(' or ')}: ${a.text.slice(0, 200)}`);
  const reading = (c.reader ?? logflowAnswer)({ status: a.status, contentType: a.contentType, text: a.text }, c.markers?.length);
  for (const p of reading.problems) violate(`${where}: ${p}`);
  if (c.maybe) {
    for (const m of c.maybe) {
      ledger.origin.set(m, `${where}, answered ${a.status} ${a.text.slice(0, 160)}`);
      if (reading.took !== 'none') ledger.maybe.add(m);
      else ledger.refused.add(m);
    }
  }
  if (!markers.length) return;
  const origin = `${where} [${Object.entries(c.headers).map(([k, v]) => `${k}: ${v.slice(0, 40)}`).join('; ')}] record ${'{i}'} of ${markers.length}, answered ${a.status} ${a.text.slice(0, 160)}`;
  const good = new Set(c.good ?? []);
  // Some were refused, without saying which (OTLP, Loki): the good ones must have been taken (what the
  // stores hold shows it), and no more can have been refused than there were records that are not good.
  const unnamed = reading.took === 'some' && !reading.rejected;
  if (unnamed && reading.rejectedCount !== undefined && reading.rejectedCount > markers.length - good.size) {
    violate(`${where}: ${reading.rejectedCount} of ${markers.length} records refused, but only ${markers.length - good.size} are not good`);
  }
  markers.forEach((m, i) => {
    if (m) ledger.origin.set(m, origin.replace('{i}', String(i)));
    if (unnamed) {
      if (!m) return;
      if (good.has(i) && reading.rejectedCount !== undefined) ledger.accepted.set(m, project);
      else if (!ledger.accepted.has(m)) ledger.maybe.add(m);
      return;
    }
    const taken = reading.took === 'all' || (reading.took === 'some' && !reading.rejected!.has(i));
    if (!taken && reading.took === 'some' && good.has(i)) violate(`${where}: a good event (record ${i}) beside bad ones was refused: ${reading.rejected!.get(i)}`);
    if (!m) return;
    if (taken) {
      ledger.accepted.set(m, project);
      ledger.refused.delete(m);
      ledger.maybe.delete(m);
    } else if (!ledger.accepted.has(m)) ledger.refused.add(m);
  });
}
