import type pg from 'pg';
import type { Logger } from '../../shared/logger.ts';
import { MAX_RETENTION_DAYS, type RetentionPolicy } from '../../shared/retention.ts';
import { pgError } from '../db.ts';

// Each project's retention is in its overrides (`logflow projects set NAME --retention 90d`, the
// per-project settings over the installation's); read through to_jsonb so a database migrated by an
// older release, without that column, reads as every project keeping the installation's.
const POLICY_SQL = "SELECT id, to_jsonb(p) -> 'overrides' -> 'retention_days' AS days FROM projects p";

/** The installation's retention and every project's own, as PostgreSQL holds them now. */
export async function loadPolicy(pool: pg.Pool, defaultDays: number): Promise<RetentionPolicy> {
  let rows: { id: string; days: unknown }[];
  try {
    ({ rows } = await pool.query<{ id: string; days: unknown }>(POLICY_SQL));
  } catch (err) {
    // No projects table yet (a store migrated before its first project): nobody has one of their own.
    if ((err as { code?: string }).code === '42P01') return { defaultDays, projectDays: new Map() };
    throw pgError(err, 'reading the projects’ retention');
  }
  const projectDays = new Map<number, number>();
  for (const r of rows) {
    if (typeof r.days === 'number' && Number.isInteger(r.days) && r.days >= 1 && r.days <= MAX_RETENTION_DAYS) projectDays.set(Number(r.id), r.days);
  }
  return { defaultDays, projectDays };
}

/**
 * The policy as of at most maxAgeMs ago, for searches: read again in the background, so a search
 * never waits for it once it is known; a change (`projects set`) applies within maxAgeMs. While
 * PostgreSQL cannot be asked, the last policy read holds (at first: the installation's for all).
 */
export class PolicyCache {
  private policy?: RetentionPolicy;
  private readAt = 0;
  private reading?: Promise<RetentionPolicy>;

  constructor(
    private readonly pool: pg.Pool,
    private readonly defaultDays: number,
    private readonly log?: Logger,
    private readonly maxAgeMs = 10_000,
  ) {}

  async get(): Promise<RetentionPolicy> {
    if (this.policy && Date.now() - this.readAt < this.maxAgeMs) return this.policy;
    this.reading ??= loadPolicy(this.pool, this.defaultDays)
      .then((p) => {
        this.policy = p;
        this.readAt = Date.now();
        return p;
      })
      .catch((err: unknown) => {
        this.log?.warn({ err: (err as Error).message }, 'cannot read the projects’ retention: searches keep the last one read');
        return this.policy ?? { defaultDays: this.defaultDays, projectDays: new Map() };
      })
      .finally(() => (this.reading = undefined));
    return this.policy ?? this.reading;
  }
}
