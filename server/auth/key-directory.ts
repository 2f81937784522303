// Which project an API key belongs to, answered without asking PostgreSQL on the request path, and
// still answered while PostgreSQL is away (issue 8 item 10): ingest needs only Redis to take events,
// so a database outage must not stop it. The server holds the list of projects and key hashes,
// read whole every refreshMs; a key not in it is looked up once (a project created since). While
// PostgreSQL cannot be read, the last list read is used, and a copy of it kept in Redis lets a server
// started during the outage use it too. What PostgreSQL says (a project disabled) takes effect at the
// next refresh: within refreshMs once it answers.
import type pg from 'pg';
import { errorMessage, LogFlowError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { pgError } from '../db.ts';
import { hashKey, PROJECT_COLUMNS, toProject, type Project } from './projects.ts';

/** Where the last list read is kept for servers that start while PostgreSQL is away (Redis). */
export interface KeyListCopy {
  load(): Promise<string | null>;
  /** Keeps `text` for COPY_KEPT_MS. */
  save(text: string): Promise<void>;
  /** Keeps what is there for COPY_KEPT_MS from now. */
  keep(): Promise<void>;
}

/** How long the copy outlives the last time a server read PostgreSQL: an installation gone, its copy goes too. */
export const COPY_KEPT_MS = 7 * 86_400_000;

export interface KeyDirectoryOptions {
  pool: pg.Pool;
  copy?: KeyListCopy;
  log: Logger;
  /** How often the list is read again: the longest a change in PostgreSQL (a project disabled) takes to be seen. */
  refreshMs?: number;
  /** Longest one PostgreSQL query may take before the list in hand is used instead. */
  queryTimeoutMs?: number;
}

/** What the copy in Redis holds: the list as PostgreSQL last gave it. */
interface SavedList {
  saved_at: string;
  projects: (Project & { hash: string })[];
}

const MAX_UNKNOWN = 10_000;

export class KeyDirectory {
  private byHash = new Map<string, Project>();
  private byId = new Map<number, Project>();
  /** Keys PostgreSQL said no project has, and when: asked again only after refreshMs. */
  private readonly unknown = new Map<string, number>();
  private readonly lookups = new Map<string, Promise<Project | null>>();
  /** Since when PostgreSQL could not be read; undefined while it answers. */
  private unreachableSince?: number;
  private lastSaved?: string;
  private keptAt = 0;
  private ready?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private closed = false;
  private readonly refreshMs: number;
  private readonly queryTimeoutMs: number;

  constructor(private readonly o: KeyDirectoryOptions) {
    this.refreshMs = o.refreshMs ?? 10_000;
    this.queryTimeoutMs = o.queryTimeoutMs ?? 5000;
  }

  /** Reads the list (from PostgreSQL, else the copy), then again every refreshMs until close(). */
  start(): Promise<void> {
    this.ready ??= this.refresh(true).finally(() => this.schedule());
    return this.ready;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  /**
   * The active project a key belongs to, or null (unknown key, disabled project). Throws a transient
   * STORE_UNAVAILABLE (503) for a key the server does not know while PostgreSQL cannot be asked:
   * it may be a real key, so the client is told to send again, not that its key is wrong.
   */
  async authenticate(key: string): Promise<Project | null> {
    await this.start();
    const hash = hashKey(key);
    const known = this.byHash.get(hash);
    if (known) return known.is_active ? known : null;
    const saidUnknown = this.unknown.get(hash);
    if (saidUnknown !== undefined && Date.now() - saidUnknown < this.refreshMs) return null;
    if (this.unreachableSince !== undefined) throw this.unavailable();
    let lookup = this.lookups.get(hash);
    if (!lookup) {
      lookup = this.lookup(hash).finally(() => this.lookups.delete(hash));
      this.lookups.set(hash, lookup);
    }
    return lookup;
  }

  /** A project by id, as last read (its settings, for ingest limits). */
  project(id: number): Project | undefined {
    return this.byId.get(id);
  }

  private async lookup(hash: string): Promise<Project | null> {
    let rows: Record<string, unknown>[];
    try {
      ({ rows } = await this.query(`SELECT ${PROJECT_COLUMNS} FROM projects WHERE api_key_hash = $1`, [hash]));
    } catch (err) {
      const e = pgError(err, 'checking an API key');
      if (!e.transient) throw e;
      this.wentAway(err);
      throw this.unavailable();
    }
    if (!rows[0]) {
      if (this.unknown.size >= MAX_UNKNOWN) this.unknown.clear();
      this.unknown.set(hash, Date.now());
      return null;
    }
    const project = toProject(rows[0]);
    this.byHash.set(hash, project);
    this.byId.set(project.id, project);
    return project.is_active ? project : null;
  }

  private async refresh(first = false): Promise<void> {
    let rows: Record<string, unknown>[];
    try {
      ({ rows } = await this.query(`SELECT ${PROJECT_COLUMNS}, api_key_hash FROM projects`, []));
    } catch (err) {
      this.wentAway(err);
      if (first) await this.loadCopy();
      return;
    }
    const list = rows.map((row) => ({ ...toProject(row), hash: String(row.api_key_hash) }));
    this.use(list);
    if (this.unreachableSince !== undefined) {
      this.o.log.info({ unreachable_for_s: Math.round((Date.now() - this.unreachableSince) / 1000), projects: list.length }, 'PostgreSQL answers again: API keys are checked against it again');
      this.unreachableSince = undefined;
    }
    this.unknown.clear();
    await this.saveCopy(list);
  }

  private use(list: (Project & { hash: string })[]): void {
    const byHash = new Map<string, Project>();
    const byId = new Map<number, Project>();
    for (const { hash, ...project } of list) {
      byHash.set(hash, project);
      byId.set(project.id, project);
    }
    this.byHash = byHash;
    this.byId = byId;
  }

  private wentAway(err: unknown): void {
    if (this.unreachableSince !== undefined) return;
    this.unreachableSince = Date.now();
    this.o.log.warn({ err: errorMessage(err), projects: this.byHash.size }, 'PostgreSQL is unreachable: API keys are checked against the list last read from it until it answers again; a key not in that list is answered 503');
  }

  private async loadCopy(): Promise<void> {
    try {
      const text = await this.o.copy?.load();
      if (!text) return;
      const saved = JSON.parse(text) as SavedList;
      this.use(saved.projects);
      this.lastSaved = JSON.stringify(saved.projects);
      this.o.log.warn({ saved_at: saved.saved_at, projects: saved.projects.length }, 'PostgreSQL is unreachable at start: API keys are checked against the list a server saved in Redis');
    } catch (err) {
      this.o.log.warn({ err: errorMessage(err) }, 'no list of API keys could be read from Redis either: every key is answered 503 until PostgreSQL answers');
    }
  }

  /** Written only when the list changed, and kept longer once an hour: a server refreshing every 10 s costs Redis nothing more. */
  private async saveCopy(list: (Project & { hash: string })[]): Promise<void> {
    const text = JSON.stringify(list);
    if (!this.o.copy) return;
    try {
      if (text !== this.lastSaved) {
        await this.o.copy.save(JSON.stringify({ saved_at: new Date().toISOString(), projects: list } satisfies SavedList));
        this.lastSaved = text;
        this.keptAt = Date.now();
      } else if (Date.now() - this.keptAt > 3_600_000) {
        await this.o.copy.keep();
        this.keptAt = Date.now();
      }
    } catch (err) {
      this.o.log.debug({ err: errorMessage(err) }, 'the list of API keys could not be saved in Redis; saved at the next refresh');
    }
  }

  /** A query bounded in time (pg's per-query query_timeout, which its types do not list). */
  private query(text: string, values: unknown[]): Promise<pg.QueryResult<Record<string, unknown>>> {
    return this.o.pool.query({ text, values, query_timeout: this.queryTimeoutMs } as pg.QueryConfig);
  }

  /** Every refreshMs; every 2 s while PostgreSQL cannot be read, so its return is seen at once (and a first query that fails on a stale connection costs 2 s, not 10). */
  private schedule(): void {
    if (this.closed) return;
    const delay = this.unreachableSince === undefined ? this.refreshMs : Math.min(2000, this.refreshMs);
    this.timer = setTimeout(() => void this.refresh().finally(() => this.schedule()), delay);
    this.timer.unref();
  }

  private unavailable(): LogFlowError {
    return new LogFlowError('STORE_UNAVAILABLE', 'PostgreSQL, where API keys are checked, is unreachable, and this key is not one this server knows yet: nothing was taken, send it again', { transient: true, retryAfterSeconds: 5 });
  }
}
