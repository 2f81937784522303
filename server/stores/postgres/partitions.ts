import pg from 'pg';
import { LogFlowError } from '../../../shared/errors.ts';
import type { LogEvent } from '../../../shared/event.ts';
import { DAY_MS, startOfUtcDay } from '../../../shared/retention.ts';
import { pgError } from '../../db.ts';
import { boundLiteral, leafName, rangeHolding, rangeName, rangeToCreate, type RangePartition } from './partition-layout.ts';
import { SEARCH_STATISTICS } from './schema.ts';

// The partitions of the logs table as they are, and the making of those events need
// (partition-layout.ts says which). Partitions are made ahead for the coming days (retention's
// timer calls createAhead), and on demand for whatever else comes: a late or early event, a new
// project. Making one takes no lock that stops writes or searches: the table is created alone and
// then attached, which locks the parent only against other DDL (CREATE TABLE ... PARTITION OF would
// lock it against everything, also behind a long search).

/** Serialises LogFlow's partition DDL across processes ("logp"), so two never race to make the same range. */
export const PARTITION_LOCK_KEY = 0x6c6f6770;

/**
 * Partitions are named logs_... whatever their root: `logflow migrate` fills a table under another
 * name before it becomes `logs` (convert.ts), and its partitions keep their names.
 */
export const PARTITION_PREFIX = 'logs';

/** What a partition is chosen by. */
export type Placed = Pick<LogEvent, 'project_id' | 'timestamp' | 'ingest_ts'>;

export interface Layout {
  /** False for an earlier release's unpartitioned table (or none): nothing to make. */
  partitioned: boolean;
  /** Sorted by endMs. */
  ranges: RangePartition[];
}

// The earliest instant PostgreSQL's timestamptz holds (4713-11-24 BC); an event before it is refused
// by the insert with its reason, and must not make a partition bound PostgreSQL cannot read.
const PG_MIN_MS = -210_866_803_200_000;

// Bounds come back as PostgreSQL prints them; read back as timestamptz in the same session, they are
// exact whatever its TimeZone and DateStyle.
const LAYOUT_SQL = `
SELECT r.relname AS name, r.relkind::text AS kind,
  (extract(epoch FROM (regexp_match(pg_get_expr(r.relpartbound, r.oid), 'FROM \\(''(.*?)''\\)'))[1]::timestamptz) * 1000)::float8 AS start_ms,
  (extract(epoch FROM (regexp_match(pg_get_expr(r.relpartbound, r.oid), 'TO \\(''(.*?)''\\)'))[1]::timestamptz) * 1000)::float8 AS end_ms,
  coalesce((SELECT json_agg(json_build_object('name', l.relname, 'bound', pg_get_expr(l.relpartbound, l.oid)))
    FROM pg_inherits li JOIN pg_class l ON l.oid = li.inhrelid WHERE li.inhparent = r.oid), '[]') AS leaves
FROM pg_inherits i JOIN pg_class r ON r.oid = i.inhrelid
WHERE i.inhparent = to_regclass($1)`;

interface LayoutRow {
  name: string;
  kind: string;
  start_ms: number | null;
  end_ms: number | null;
  leaves: { name: string; bound: string }[];
}

/** The partitions under `root`, read from the catalog. */
export async function readLayout(db: pg.Pool | pg.PoolClient, root: string): Promise<Layout> {
  const { rows: kind } = await db.query<{ kind: string }>('SELECT relkind::text AS kind FROM pg_class WHERE oid = to_regclass($1)', [root]);
  if (kind[0]?.kind !== 'p') return { partitioned: false, ranges: [] };
  const { rows } = await db.query<LayoutRow>(LAYOUT_SQL, [root]);
  const ranges = rows.map((r): RangePartition => {
    const leaves = new Map<number, string>();
    for (const l of r.leaves) for (const v of /IN \((.*)\)/.exec(l.bound)?.[1]?.match(/-?\d+/g) ?? []) leaves.set(Number(v), l.name);
    return { name: r.name, startMs: r.start_ms ?? undefined, endMs: r.end_ms ?? Infinity, leaves, ...(r.kind === 'p' ? {} : { plain: true }) };
  });
  return { partitioned: true, ranges: ranges.sort((a, b) => a.endMs - b.endMs) };
}

/** True when PostgreSQL found no partition for a row: one was dropped (retention) or the table was just partitioned (migrate). */
export function isMissingPartition(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  return e?.code === '23514' && typeof e.message === 'string' && e.message.startsWith('no partition of relation');
}

/** The events of a batch whose partition is not there yet, one per partition to make. */
function missingFrom(layout: Layout, events: readonly Placed[]): Placed[] {
  const missing: Placed[] = [];
  const seen = new Set<string>();
  for (const e of events) {
    const ms = Date.parse(e.timestamp);
    if (!Number.isFinite(ms) || ms < PG_MIN_MS || !Number.isSafeInteger(e.project_id)) continue; // the insert refuses it, with its reason
    const range = rangeHolding(layout.ranges, ms);
    if (range && (range.plain || range.leaves.has(e.project_id))) continue;
    const key = `${range?.name ?? `${e.timestamp.slice(0, 10)}|${e.ingest_ts.slice(0, 7)}`}|${e.project_id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    missing.push(e);
  }
  return missing;
}

const id = (name: string) => pg.escapeIdentifier(name);

/** The logs table's partitions as this process last saw them, and the making of missing ones. */
export class LogPartitions {
  private layout?: Promise<Layout>;

  constructor(
    private readonly pool: pg.Pool,
    readonly root = 'logs',
  ) {}

  /** Reads the catalog again at the next use: after a migration, or when a write found a partition gone. */
  forget(): void {
    this.layout = undefined;
  }

  /** The error a write that met a missing partition throws: transient, so the batch is written again once the partition is made. */
  missing(err: unknown): LogFlowError {
    this.forget();
    return new LogFlowError('STORE_UNAVAILABLE', `PostgreSQL had no partition for some events (${(err as Error).message}); making it and writing them again`, { transient: true, cause: err });
  }

  /** Makes the partitions these events need that are not there yet; returns the tables made. */
  async ensure(events: readonly Placed[]): Promise<string[]> {
    const layout = await this.current();
    if (!layout.partitioned) return [];
    const missing = missingFrom(layout, events);
    return missing.length ? this.create(missing) : [];
  }

  /**
   * Makes today's and the next `days` days' leaves for every project that wrote today or yesterday,
   * so their writes at midnight find them there.
   */
  async createAhead(nowMs: number, days = 2): Promise<string[]> {
    this.forget();
    const layout = await this.current();
    if (!layout.partitioned) return [];
    const today = startOfUtcDay(nowMs);
    const projects = new Set<number>();
    for (const ms of [today, today - DAY_MS]) for (const p of rangeHolding(layout.ranges, ms)?.leaves.keys() ?? []) projects.add(p);
    const ingest = new Date(nowMs).toISOString();
    const events: Placed[] = [];
    for (const project_id of projects) {
      for (let d = 0; d <= days; d++) events.push({ project_id, timestamp: new Date(today + d * DAY_MS).toISOString(), ingest_ts: ingest });
    }
    const missing = missingFrom(layout, events);
    return missing.length ? this.create(missing) : [];
  }

  private current(): Promise<Layout> {
    this.layout ??= readLayout(this.pool, this.root).catch((err: unknown) => {
      this.layout = undefined;
      throw pgError(err, 'reading the partitions of the logs table');
    });
    return this.layout;
  }

  /**
   * One transaction under the partition lock: the catalog is read again there (another process may
   * have made them meanwhile), then what is still missing is made. Any failure is transient to the
   * writer: it is about partitions, never about the events, so they must not be refused for it.
   */
  private async create(missing: readonly Placed[]): Promise<string[]> {
    let client: pg.PoolClient | undefined;
    let broken: Error | undefined;
    try {
      client = await this.pool.connect();
      await client.query('BEGIN');
      await client.query("SET LOCAL lock_timeout = '30s'");
      await client.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK_KEY]);
      const layout = await readLayout(client, this.root);
      const made: string[] = [];
      if (layout.partitioned) for (const e of missingFrom(layout, missing)) made.push(...(await this.add(client, layout, e)));
      await client.query('COMMIT');
      this.layout = Promise.resolve(layout);
      return made;
    } catch (err) {
      await client?.query('ROLLBACK').catch((rollbackErr: Error) => (broken = rollbackErr));
      this.forget();
      const cause = pgError(err, 'making partitions of the logs table');
      throw new LogFlowError('STORE_UNAVAILABLE', `${cause.message}; will retry`, { transient: true, cause: err });
    } finally {
      client?.release(broken);
    }
  }

  /** Makes the range and the project's leaf an event needs; layout is updated to include them. */
  private async add(client: pg.PoolClient, layout: Layout, e: Placed): Promise<string[]> {
    const ms = Date.parse(e.timestamp);
    const made: string[] = [];
    let range = rangeHolding(layout.ranges, ms);
    if (!range) {
      const span = rangeToCreate(e.timestamp, e.ingest_ts, layout.ranges)!;
      range = { name: rangeName(PARTITION_PREFIX, span), ...span, leaves: new Map() };
      await client.query(`CREATE TABLE ${id(range.name)} (${this.like()}) PARTITION BY LIST (project_id)`);
      await client.query(`ALTER TABLE ${id(this.root)} ATTACH PARTITION ${id(range.name)} FOR VALUES FROM (${boundLiteral(span.startMs)}) TO (${boundLiteral(span.endMs)})`);
      layout.ranges.push(range);
      layout.ranges.sort((a, b) => a.endMs - b.endMs);
      made.push(range.name);
    }
    if (range.plain || range.leaves.has(e.project_id)) return made;
    const leaf = leafName(range.name, e.project_id);
    await client.query(`CREATE TABLE ${id(leaf)} (${this.like()})`);
    await client.query(`ALTER TABLE ${id(leaf)} ALTER COLUMN search SET STATISTICS ${SEARCH_STATISTICS}`);
    // Which services log which levels: without it the planner believes a service has every level, and
    // for levels a service never logs (level:DEBUG,TRACE on billing) it walks the service's time index
    // through every row of the range rather than look them up in (project_id, service, level, ts).
    await client.query(`CREATE STATISTICS ${id(`${leaf}_service_level`)} (mcv) ON service, level FROM ${id(leaf)}`);
    // The parent's indexes and foreign key are made on the empty leaf as it is attached: instant.
    await client.query(`ALTER TABLE ${id(range.name)} ATTACH PARTITION ${id(leaf)} FOR VALUES IN (${e.project_id})`);
    range.leaves.set(e.project_id, leaf);
    made.push(leaf);
    return made;
  }

  /** Columns, defaults and CHECK constraints of the table, as ATTACH requires a partition to have them. */
  private like(): string {
    return `LIKE ${id(this.root)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMPRESSION`;
  }
}
