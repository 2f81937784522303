import { defaultSinks, loadSettings } from '../../shared/config.ts';
import { LogFlowError } from '../../shared/errors.ts';
import { createLogger } from '../../shared/logger.ts';
import { openPool } from '../../server/db.ts';
import { runRetention } from '../../server/retention/run.ts';
import { createRetention } from '../../server/stores/registry.ts';
import type { Removal } from '../../server/stores/types.ts';
import { EXIT } from '../run.ts';

/** `logflow retention --dry-run | --now`: one run over every store this installation writes to. */
export async function retention(o: { dryRun?: boolean; now?: boolean; sinks?: string; json?: boolean }): Promise<number> {
  if (Boolean(o.dryRun) === Boolean(o.now)) throw new LogFlowError('USAGE', 'say --dry-run (show what is past retention) or --now (remove it)');
  const settings = loadSettings(process.env, { LOGFLOW_SINKS: o.sinks });
  const log = createLogger(settings.LOGFLOW_LOG_LEVEL);
  const pool = openPool(settings.DATABASE_URL, 3);
  const stores = await Promise.all(defaultSinks(settings).map((name) => createRetention(name, settings, () => pool)));
  try {
    const r = await runRetention({ pool, stores, defaultDays: settings.LOGFLOW_RETENTION_DAYS, log, dryRun: o.dryRun, wait: true });
    for (const x of r.removals) process.stdout.write(o.json ? `${JSON.stringify(x)}\n` : `${line(x)}\n`);
    process.stderr.write(`${o.dryRun ? 'would remove' : 'removed'} ${summary(r.removals)}; looked at ${r.ran.join(', ') || 'no store'}\n`);
    for (const f of r.failures) process.stderr.write(`logflow: retention of ${f.target} failed: ${f.error}\n`);
    return r.failures.length ? EXIT.FAILURE : EXIT.OK;
  } finally {
    for (const s of stores) await s.close().catch(() => {});
    await pool.end();
  }
}

const NOUNS: Record<Removal['kind'], [string, string]> = { partition: ['partition', 'partitions'], index: ['index', 'indices'], documents: ['set of documents', 'sets of documents'], file: ['file', 'files'] };

/** "3 partitions, 1 index (1,204 events)", or "nothing". */
function summary(removals: readonly Removal[]): string {
  if (!removals.length) return 'nothing';
  const by = new Map<Removal['kind'], number>();
  for (const r of removals) by.set(r.kind, (by.get(r.kind) ?? 0) + 1);
  const events = removals.reduce((n, x) => n + (x.events ?? 0), 0);
  return `${[...by].map(([kind, n]) => `${n} ${NOUNS[kind][n === 1 ? 0 : 1]}`).join(', ')} (${events.toLocaleString('en-US')} events counted)`;
}

function line(r: Removal): string {
  const whose = r.projectId === undefined ? (r.kind === 'index' ? 'every project' : 'projects without their own retention') : `project ${r.projectId}`;
  const size = [r.events === undefined ? undefined : `${r.events} events`, r.bytes === undefined ? undefined : `${r.bytes} bytes`].filter(Boolean).join(', ');
  return `${r.store.padEnd(10)} ${r.kind.padEnd(9)} ${r.name}  ${whose}  before ${r.before}${size ? `  (${size})` : ''}`;
}
