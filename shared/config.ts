import { z } from 'zod';
import { ConfigError } from './errors.ts';

// Every setting once: its environment variable, its type, its default and its description. The
// description is the documentation (README) and the error message when a value is wrong.

const SINK_NAMES = ['opensearch', 'postgres', 'file'] as const;
export type SinkName = (typeof SINK_NAMES)[number];

const url = (protocols: string[]) =>
  z.string().trim().refine((v) => {
    try {
      return protocols.includes(new URL(v).protocol.replace(':', ''));
    } catch {
      return false;
    }
  }, `must be a ${protocols.join(' or ')} URL`);

const int = (min: number, max: number) => z.coerce.number({ error: 'must be a whole number' }).int('must be a whole number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);

export const Settings = z
  .object({
    REDIS_URL: url(['redis', 'rediss']).default('redis://127.0.0.1:6379').describe('Redis holding the ingest stream'),
    DATABASE_URL: url(['postgres', 'postgresql']).default('postgres://postgres@127.0.0.1:5432/logflow').describe('PostgreSQL for projects and keys, and logs when the postgres sink is on; migrate creates the database'),
    OPENSEARCH_URL: url(['http', 'https']).optional().describe('OpenSearch for search; unset: no OpenSearch sink and search is served from PostgreSQL'),
    LOGFLOW_SINKS: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v.trim() === '') return undefined;
        const names = v.split(',').map((s) => s.trim()).filter(Boolean);
        for (const n of names) {
          if (!(SINK_NAMES as readonly string[]).includes(n)) {
            ctx.addIssue({ code: 'custom', message: `"${n}" is not a sink: use ${SINK_NAMES.join(', ')}` });
            return z.NEVER;
          }
        }
        return [...new Set(names)] as SinkName[];
      })
      .describe('comma list of sinks the worker writes to; default: opensearch when OPENSEARCH_URL is set, postgres, file'),
    LOGFLOW_FILE_DIR: z.string().min(1).default('./data/logs').describe('where the file sink appends <project_id>/<YYYY-MM-DD>.log'),
    LOGFLOW_HOST: z.string().min(1).default('127.0.0.1').describe('address the server listens on'),
    LOGFLOW_PORT: int(0, 65535).default(8080).describe('port the server listens on'),
    LOGFLOW_NAMESPACE: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,40}$/, 'must be lowercase letters, digits, - or _').default('logflow').describe('prefix of Redis keys and OpenSearch index names, so several installations (or tests) can share one Redis and one OpenSearch'),
    LOGFLOW_MAX_BODY_BYTES: int(1024, 1 << 30).default(5 * 1024 * 1024).describe('largest POST /logs body accepted, after gzip is undone'),
    LOGFLOW_MAX_BACKLOG: int(1, 1e9).default(1_000_000).describe('stream entries not yet acknowledged by every sink above which ingest answers 429'),
    LOGFLOW_CLAIM_IDLE_MS: int(100, 86_400_000).default(30_000).describe('how long an entry stays with a silent worker before another worker claims it'),
    LOGFLOW_WORKER_BATCH: int(1, 10_000).default(500).describe('stream entries a worker reads and writes at a time'),
    LOGFLOW_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info').describe('level of LogFlow’s own logs (pino, on stderr)'),
    LOGFLOW_URL: url(['http', 'https']).default('http://127.0.0.1:8080').describe('server that ship and search talk to'),
    LOGFLOW_API_KEY: z.string().trim().min(1).optional().describe('project API key for ship and search'),
    LOGFLOW_STATE_DIR: z.string().min(1).optional().describe('where ship keeps checkpoints and its spool'),
  })
  .strict();

export type Settings = z.output<typeof Settings>;

/**
 * Reads settings from the environment, with overrides (from flags) taking precedence. Unknown
 * LOGFLOW_* variables are an error, so a typo never silently falls back to a default.
 */
export function loadSettings(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Record<keyof Settings, string | undefined>> = {}): Settings {
  const known = Object.keys(Settings.shape);
  const input: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || v === '') continue;
    if (known.includes(k) || k.startsWith('LOGFLOW_')) input[k] = v;
  }
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) input[k] = v;
  const parsed = Settings.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    throw new ConfigError(`unknown setting ${issue.keys.join(', ')}: LogFlow reads ${known.filter((k) => k.startsWith('LOGFLOW_')).join(', ')}`);
  }
  const name = String(issue.path[0]);
  throw new ConfigError(`${name} ${issue.message} (got "${input[name]}"): ${Settings.shape[name as keyof Settings].description}`);
}

/** The sinks a worker runs when none are named. */
export function defaultSinks(s: Settings): SinkName[] {
  return s.LOGFLOW_SINKS ?? (s.OPENSEARCH_URL ? ['opensearch', 'postgres', 'file'] : ['postgres', 'file']);
}
