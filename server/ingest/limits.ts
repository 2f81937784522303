// Per-project ingest limits (issue 8 item 13), as Loki's per-tenant ingestion_rate/burst: one
// project's flood is answered 429 with Retry-After, to that project alone, long before the global
// backlog limit would make every project wait. Two token buckets per project (events, and bytes of
// event text), held in Redis and taken from by one script per request, so the limits hold across every
// server behind a load balancer, as if there were one; Redis's clock is the only clock, so servers'
// clocks need not agree. One round trip per request, never per event.
import type { Redis } from 'ioredis';
import type { Settings } from '../../shared/config.ts';
import { LogFlowError } from '../../shared/errors.ts';
import { projectSetting } from '../../shared/project-settings.ts';
import type { Project } from '../auth/projects.ts';

export interface ProjectLimits {
  /** For messages: the project's name. */
  name: string;
  /** Per second, on average; 0: no limit. */
  eventsRate: number;
  /** Taken at once above the rate. */
  eventsBurst: number;
  bytesRate: number;
  bytesBurst: number;
}

/** A project's limits: what it set for itself (`logflow projects set`), else the installation's settings. */
export function limitsOf(project: Project | undefined, settings: Settings): ProjectLimits | undefined {
  if (!project) return undefined;
  const o = project.overrides;
  return {
    name: project.name,
    eventsRate: projectSetting('ingestion_events_rate', o, settings),
    eventsBurst: projectSetting('ingestion_events_burst', o, settings),
    bytesRate: projectSetting('ingestion_rate', o, settings),
    bytesBurst: projectSetting('ingestion_burst_size', o, settings),
  };
}

/** What the ingest path asks before it takes a request. */
export interface IngestLimiter {
  /** Takes a request's events and bytes from its project's limits; throws RATE_LIMITED (429, Retry-After) having taken nothing when it is over them. */
  take(projectId: number, events: number, bytes: number): Promise<void>;
}

// A bucket holds up to its burst and refills at its rate. A request passes when the bucket holds what
// it costs, or, when it costs more than the whole burst, when the bucket is full: it then goes into
// debt, and the project waits until the debt is paid. So a request larger than the burst is never
// refused for good (a client would resend it for ever), and the average rate holds all the same.
// Returns {1} when taken, else {0, milliseconds to wait, 1 for events or 2 for bytes}.
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'e', 'b', 't')
local elapsed = math.max(0, now - (tonumber(state[3]) or now)) / 1000
local level, wait, which, ttl = {}, 0, 0, 1000
for i = 1, 2 do
  local rate, burst, cost = tonumber(ARGV[i * 3 - 2]), tonumber(ARGV[i * 3 - 1]), tonumber(ARGV[i * 3])
  if rate > 0 then
    local have = math.min(burst, (tonumber(state[i]) or burst) + elapsed * rate)
    level[i] = have
    local need = math.min(cost, burst)
    if have < need and (need - have) / rate * 1000 > wait then
      wait = (need - have) / rate * 1000
      which = i
    end
  else
    level[i] = burst
  end
end
if wait == 0 then
  for i = 1, 2 do
    local rate, burst, cost = tonumber(ARGV[i * 3 - 2]), tonumber(ARGV[i * 3 - 1]), tonumber(ARGV[i * 3])
    if rate > 0 then level[i] = level[i] - cost end
  end
end
for i = 1, 2 do
  local rate, burst = tonumber(ARGV[i * 3 - 2]), tonumber(ARGV[i * 3 - 1])
  if rate > 0 then ttl = math.max(ttl, math.ceil((burst - level[i]) / rate * 1000) + 1000) end
end
redis.call('HSET', KEYS[1], 'e', level[1], 'b', level[2], 't', now)
redis.call('PEXPIRE', KEYS[1], ttl)
if wait == 0 then return {1} end
return {0, math.ceil(wait), which}
`;

type TakeCommand = (key: string, ...args: number[]) => Promise<number[]>;

export class RedisLimiter implements IngestLimiter {
  private readonly take_: TakeCommand;

  constructor(
    private readonly redis: Redis,
    private readonly namespace: string,
    /** A project's limits now (its own settings, else the installation's); undefined: none known, not limited. */
    private readonly limitsOf: (projectId: number) => ProjectLimits | undefined,
  ) {
    // defineCommand sends the script once and EVALSHA after, and reloads it after a Redis restart.
    if (!(redis as unknown as Record<string, unknown>).logflowTakeTokens) redis.defineCommand('logflowTakeTokens', { numberOfKeys: 1, lua: TAKE });
    this.take_ = (redis as unknown as { logflowTakeTokens: TakeCommand }).logflowTakeTokens.bind(redis);
  }

  async take(projectId: number, events: number, bytes: number): Promise<void> {
    const l = this.limitsOf(projectId);
    if (!l || (l.eventsRate <= 0 && l.bytesRate <= 0)) return;
    let answer: number[];
    try {
      answer = await this.take_(`${this.namespace}:limits:${projectId}`, l.eventsRate, Math.max(l.eventsBurst, 1), events, l.bytesRate, Math.max(l.bytesBurst, 1), bytes);
    } catch (err) {
      throw new LogFlowError('QUEUE_UNAVAILABLE', `Redis is unavailable: ${(err as Error)?.message ?? err}`, { transient: true, retryAfterSeconds: 2, cause: err });
    }
    if (answer[0] === 1) return;
    throw limited(l, answer[2] === 2 ? 'bytes' : 'events', Math.max(1, Math.ceil((answer[1] ?? 1000) / 1000)));
  }
}

function limited(l: ProjectLimits, which: 'events' | 'bytes', retryAfterSeconds: number): LogFlowError {
  const what = which === 'events' ? `${l.eventsRate.toLocaleString('en-US')} events/s (burst ${l.eventsBurst.toLocaleString('en-US')})` : `${l.bytesRate.toLocaleString('en-US')} bytes/s (burst ${l.bytesBurst.toLocaleString('en-US')})`;
  const flag = which === 'events' ? '--ingestion-events-rate' : '--ingestion-rate';
  return new LogFlowError(
    'RATE_LIMITED',
    `project "${l.name}" is sending more than its ingest limit of ${what}: nothing was taken, send it again in ${retryAfterSeconds} s (an operator can raise the limit: logflow projects set ${l.name} ${flag} ...)`,
    { transient: true, retryAfterSeconds },
  );
}
