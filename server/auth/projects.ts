import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';
import { LogFlowError } from '../../shared/errors.ts';
import { readOverrides, type ProjectOverrides, type ProjectSettingName } from '../../shared/project-settings.ts';
import { pgError } from '../db.ts';

export interface Project {
  id: number;
  name: string;
  is_active: boolean;
  created_at: string;
  /** The key's first characters, so a person can tell keys apart; the key itself is never stored. */
  key_prefix: string;
  /** What the project set for itself (`logflow projects set`); the rest is the installation's. */
  overrides: ProjectOverrides;
}

export async function migrateProjects(pool: pg.Pool): Promise<void> {
  await pool.query(`
    CREATE TABLE IF NOT EXISTS projects (
      id bigserial PRIMARY KEY,
      name text NOT NULL UNIQUE,
      api_key_hash text NOT NULL UNIQUE,
      key_prefix text NOT NULL DEFAULT '',
      is_active boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
  // One column for every per-project setting (shared/project-settings.ts): a new one needs no migration.
  await pool.query(`ALTER TABLE projects ADD COLUMN IF NOT EXISTS overrides jsonb NOT NULL DEFAULT '{}'`);
}

// Keys are 32 random bytes, so a plain SHA-256 is enough to store them: there is nothing to guess
// that a slow hash would protect.
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function newApiKey(): string {
  return `lf_${randomBytes(32).toString('base64url')}`;
}

const PROJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/**
 * The columns a Project is read from. overrides through to_jsonb, so a server started before
 * `logflow migrate` added that column still reads projects (with none).
 */
export const PROJECT_COLUMNS = "id, name, is_active, created_at, key_prefix, to_jsonb(projects) -> 'overrides' AS overrides";

/**
 * Projects and their API keys, in PostgreSQL: created, listed, enabled and disabled here; the server
 * checks keys through a KeyDirectory (key-directory.ts), which keeps working while PostgreSQL is away.
 */
export class ProjectStore {
  constructor(private readonly pool: pg.Pool) {}

  /** Creates a project; the key is returned here once and only its hash is kept. */
  async create(name: string, overrides: ProjectOverrides = {}): Promise<{ project: Project; apiKey: string }> {
    if (!PROJECT_NAME.test(name)) {
      throw new LogFlowError('USAGE', `project name "${name}" must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit`);
    }
    const apiKey = newApiKey();
    try {
      const { rows } = await this.pool.query(
        `INSERT INTO projects (name, api_key_hash, key_prefix, overrides) VALUES ($1, $2, $3, $4)
         RETURNING ${PROJECT_COLUMNS}`,
        [name, hashKey(apiKey), apiKey.slice(0, 8), JSON.stringify(overrides)],
      );
      return { project: toProject(rows[0]), apiKey };
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new LogFlowError('USAGE', `a project named "${name}" already exists`);
      throw pgError(err, 'creating a project');
    }
  }

  async list(): Promise<Project[]> {
    const { rows } = await this.pool.query(`SELECT ${PROJECT_COLUMNS} FROM projects ORDER BY id`);
    return rows.map(toProject);
  }

  async setActive(name: string, active: boolean): Promise<Project> {
    const { rows } = await this.pool.query(`UPDATE projects SET is_active = $2 WHERE name = $1 RETURNING ${PROJECT_COLUMNS}`, [name, active]);
    if (!rows[0]) throw new LogFlowError('USAGE', `no project named "${name}"`);
    return toProject(rows[0]);
  }

  /** Sets a project's own settings; null puts one back to the installation's. Servers see it within 10 s. */
  async set(name: string, changes: Partial<Record<ProjectSettingName, number | null>>): Promise<Project> {
    const put = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== null));
    const drop = Object.entries(changes).filter(([, v]) => v === null).map(([k]) => k);
    const { rows } = await this.pool
      .query(`UPDATE projects SET overrides = (overrides || $2::jsonb) - $3::text[] WHERE name = $1 RETURNING ${PROJECT_COLUMNS}`, [name, JSON.stringify(put), drop])
      .catch((err: unknown) => {
        throw pgError(err, 'changing a project');
      });
    if (!rows[0]) throw new LogFlowError('USAGE', `no project named "${name}"`);
    return toProject(rows[0]);
  }
}

export function toProject(row: Record<string, unknown>): Project {
  return {
    id: Number(row.id),
    name: String(row.name),
    is_active: Boolean(row.is_active),
    created_at: new Date(row.created_at as string).toISOString(),
    key_prefix: String(row.key_prefix ?? ''),
    overrides: readOverrides(row.overrides),
  };
}
