import { loadSettings } from '../../shared/config.ts';
import { ProjectStore, migrateProjects } from '../../server/auth/projects.ts';
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

export async function create(name: string, o: { json?: boolean }): Promise<void> {
  const { project, apiKey } = await withStore((s) => s.create(name));
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
    process.stdout.write(`${String(p.id).padStart(4)}  ${p.name.padEnd(24)} ${p.is_active ? 'active  ' : 'disabled'}  key ${p.key_prefix}…  created ${p.created_at}\n`);
  }
}

export async function setActive(name: string, active: boolean): Promise<void> {
  const p = await withStore((s) => s.setActive(name, active));
  process.stdout.write(`project ${p.name} is ${p.is_active ? 'active' : 'disabled'}\n`);
}
