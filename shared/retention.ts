// How long events are kept: whole UTC days, per installation (LOGFLOW_RETENTION_DAYS) and per project
// (`logflow projects create|set NAME --retention 7d`). Everything here is pure, so the server, the
// stores and the CLI agree on what "past retention" means.

export const DAY_MS = 86_400_000;
/** VictoriaLogs' ceiling too: a hundred years is "keep everything" for logs. */
export const MAX_RETENTION_DAYS = 36_500;

/**
 * Days in a retention such as "7d", "90d" or "2w"; throws an Error whose message says what to type.
 * Whole days only: the stores remove whole days (partitions, indices, files), so "36h" would promise
 * what they cannot keep.
 */
export function parseRetention(text: string): number {
  const m = /^(\d+)(d|w)$/.exec(text.trim());
  const days = m ? Number(m[1]) * (m[2] === 'w' ? 7 : 1) : NaN;
  if (!Number.isSafeInteger(days) || days < 1 || days > MAX_RETENTION_DAYS) {
    throw new Error(`"${text}" is not a retention: whole days or weeks such as 7d, 90d or 2w, from 1d to ${MAX_RETENTION_DAYS}d`);
  }
  return days;
}

export function showRetention(days: number): string {
  return `${days}d`;
}

/** Midnight UTC of the day holding ms. */
export function startOfUtcDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/**
 * The first instant still kept under a retention of `days` at `nowMs`: events before it are past
 * retention. It is a midnight (UTC), so "7 days" keeps today and the 7 whole days before it, and a
 * day's partition, index or file goes as one.
 */
export function retentionCutoff(nowMs: number, days: number): number {
  return startOfUtcDay(nowMs) - days * DAY_MS;
}

/** What the installation keeps, and what projects set for themselves. */
export interface RetentionPolicy {
  /** LOGFLOW_RETENTION_DAYS. */
  defaultDays: number;
  /** Projects with a retention of their own; every other project keeps defaultDays. */
  projectDays: ReadonlyMap<number, number>;
}

export function daysOf(policy: RetentionPolicy, projectId: number): number {
  return policy.projectDays.get(projectId) ?? policy.defaultDays;
}

/** The project's cutoff: its events before it are past retention. */
export function projectCutoff(policy: RetentionPolicy, projectId: number, nowMs: number): number {
  return retentionCutoff(nowMs, daysOf(policy, projectId));
}

/** The cutoff of the project that keeps data longest: what no project keeps any more is before it. */
export function earliestCutoff(policy: RetentionPolicy, nowMs: number): number {
  return retentionCutoff(nowMs, Math.max(policy.defaultDays, ...policy.projectDays.values()));
}
