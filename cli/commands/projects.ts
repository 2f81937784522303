import { loadSettings } from '../../shared/config.ts';
import { LogFlowError } from '../../shared/errors.ts';
import { PROJECT_SETTINGS, projectSetting, type ProjectSettingName } from '../../shared/project-settings.ts';
import { parseRetention } from '../../shared/retention.ts';
import { ProjectStore, migrateProjects, type Project } from '../../server/auth/projects.ts';
import { ensureDatabase, openPool } from '../../server/db.ts';

async function withStore<T>(fn: (store: ProjectStore) => Promise<T>): Promise<T> {
  const settings = loadSettings();
  // Creating a project is often the first thing a person does: make sure there is somewhere to put it.
  await ensureDatabase(settings.DATABASE_URL);
  const pool = openPool(settings.DATABASE_URL, 1);
  try {
    await migrateProjects(pool);
    return await fn(new ProjectStore(pool));
  } finally {
    await pool.end();
  }
}

/** --retention as days, or null for `default` (the installation's); throws a usage error a person can act on. */
function retentionDays(text: string): number | null {
  if (text.trim().toLowerCase() === 'default') return null;
  try {
    return parseRetention(text);
  } catch (err) {
    throw new LogFlowError('USAGE', `--retention: ${(err as Error).message}, or default`);
  }
}

export async function create(name: string, o: { json?: boolean; retention?: string }): Promise<void> {
  const days = o.retention === undefined ? null : retentionDays(o.retention);
  const { project, apiKey } = await withStore((s) => s.create(name, days === null ? {} : { retention_days: days }));
  if (o.json) {
    process.stdout.write(JSON.stringify({ id: project.id, name: project.name, api_key: apiKey }) + '\n');
  } else {
    process.stdout.write(`project ${project.name} (id ${project.id}) created\napi key: ${apiKey}\n`);
    process.stderr.write('the key is shown only this once: keep it somewhere safe (e.g. LOGFLOW_API_KEY)\n');
  }
}

export async function list(o: { json?: boolean }): Promise<void> {
  const projects = await withStore((s) => s.list());
  if (o.json) return void process.stdout.write(JSON.stringify(projects) + '\n');
  if (!projects.length) return void process.stderr.write('no projects yet: logflow projects create NAME\n');
  for (const p of projects) {
    const own = describeOverrides(p);
    process.stdout.write(`${String(p.id).padStart(4)}  ${p.name.padEnd(24)} ${p.is_active ? 'active  ' : 'disabled'}  key ${p.key_prefix}…  created ${p.created_at}${own ? `  ${own}` : ''}\n`);
  }
}

/** `logflow projects set NAME --flag VALUE ...`: prints every setting of the project after the change. */
export async function set(name: string, o: Record<string, string | undefined>): Promise<void> {
  const changes: Partial<Record<ProjectSettingName, number | null>> = {};
  for (const [key, spec] of Object.entries(PROJECT_SETTINGS) as [ProjectSettingName, (typeof PROJECT_SETTINGS)[ProjectSettingName]][]) {
    const text = o[camel(spec.flag)];
    if (text === undefined) continue;
    try {
      changes[key] = text.trim().toLowerCase() === 'default' ? null : spec.parse(text.trim());
    } catch (err) {
      throw new LogFlowError('USAGE', `--${spec.flag}: ${(err as Error).message}, or default`);
    }
  }
  if (!Object.keys(changes).length) {
    throw new LogFlowError('USAGE', `nothing to set: name at least one of ${Object.values(PROJECT_SETTINGS).map((s) => `--${s.flag}`).join(', ')}`);
  }
  const p = await withStore((s) => s.set(name, changes));
  const settings = loadSettings();
  for (const [key, spec] of Object.entries(PROJECT_SETTINGS) as [ProjectSettingName, (typeof PROJECT_SETTINGS)[ProjectSettingName]][]) {
    const own = p.overrides[key] !== undefined;
    process.stdout.write(`${p.name}  ${spec.flag.padEnd(24)} ${spec.show(projectSetting(key, p.overrides, settings)).padEnd(20)} ${own ? '(its own)' : `(the installation's ${spec.setting})`}\n`);
  }
  process.stderr.write('servers apply it within 10 s\n');
}

function describeOverrides(p: Project): string {
  return (Object.entries(p.overrides) as [ProjectSettingName, number][]).map(([key, v]) => `${PROJECT_SETTINGS[key].flag}=${PROJECT_SETTINGS[key].show(v)}`).join(' ');
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export async function setActive(name: string, active: boolean): Promise<void> {
  const p = await withStore((s) => s.setActive(name, active));
  process.stdout.write(`project ${p.name} is ${p.is_active ? 'active' : 'disabled'}\n`);
}
