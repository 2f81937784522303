// What a project can set for itself (`logflow projects set NAME --flag VALUE`), each over the
// installation-wide setting that is its default (shared/config.ts), as Loki's per-tenant overrides sit
// over its limits_config. One entry per setting: the flag, its help, how its value is read and shown.
// A new per-project setting (retention, ...) is one more entry here and, where it is used, one read of
// `project.overrides`.
import type { Settings } from './config.ts';
import { parseRetention, showRetention } from './retention.ts';
import { parseBytes } from './size.ts';

export interface ProjectSetting {
  /** The flag of `logflow projects set`, without its dashes. */
  flag: string;
  /** What the value is, for the flag's help: `<size>`, `<n>`. */
  value: string;
  /** The installation-wide setting that applies to projects that set none. */
  setting: keyof Settings;
  description: string;
  /** The stored value from what a person typed; throws an Error whose message says what to type. */
  parse(text: string): number;
  /** The stored value as a person reads it. */
  show(value: number): string;
}

/** A whole number from 0 (0: no limit). */
function count(text: string): number {
  const n = Number(text.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 0) throw new Error(`"${text}" is not a whole number of events (0: no limit)`);
  return n;
}

/** A size such as 4MiB, 500KB or 1048576 (0: no limit). */
function size(text: string): number {
  const n = parseBytes(text);
  if (n === undefined || !Number.isSafeInteger(n)) throw new Error(`"${text}" is not a size such as 4MiB, 500KB or 1048576 (0: no limit)`);
  return n;
}

export function showBytes(n: number): string {
  for (const [unit, factor] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (n >= factor && n % (factor / 1024) === 0) return `${Number((n / factor).toFixed(2))}${unit}`;
  }
  return `${n}B`;
}

const showCount = (n: number) => n.toLocaleString('en-US');

export const PROJECT_SETTINGS = {
  ingestion_rate: {
    flag: 'ingestion-rate',
    value: '<size>',
    setting: 'LOGFLOW_INGESTION_RATE',
    description: 'bytes of events per second the project may send, on average (Loki: ingestion_rate_mb); 0: no limit',
    parse: size,
    show: (n) => (n === 0 ? 'no limit' : `${showBytes(n)}/s`),
  },
  ingestion_burst_size: {
    flag: 'ingestion-burst-size',
    value: '<size>',
    setting: 'LOGFLOW_INGESTION_BURST_SIZE',
    description: 'bytes of events the project may send at once above its rate (Loki: ingestion_burst_size_mb)',
    parse: size,
    show: showBytes,
  },
  ingestion_events_rate: {
    flag: 'ingestion-events-rate',
    value: '<n>',
    setting: 'LOGFLOW_INGESTION_EVENTS_RATE',
    description: 'events per second the project may send, on average; 0: no limit',
    parse: count,
    show: (n) => (n === 0 ? 'no limit' : `${showCount(n)} events/s`),
  },
  ingestion_events_burst: {
    flag: 'ingestion-events-burst',
    value: '<n>',
    setting: 'LOGFLOW_INGESTION_EVENTS_BURST',
    description: 'events the project may send at once above its rate',
    parse: count,
    show: (n) => `${showCount(n)} events`,
  },
  retention_days: {
    flag: 'retention',
    value: '<days>',
    setting: 'LOGFLOW_RETENTION_DAYS',
    description: 'how long the project\'s events are kept, in whole days or weeks (7d, 90d, 2w): shorter or longer than the installation\'s',
    parse: parseRetention,
    show: showRetention,
  },
} satisfies Record<string, ProjectSetting>;

export type ProjectSettingName = keyof typeof PROJECT_SETTINGS;

/** What a project set for itself; a setting it did not set takes the installation's. */
export type ProjectOverrides = Partial<Record<ProjectSettingName, number>>;

/** The overrides stored for a project, keeping only settings this version knows, with number values. */
export function readOverrides(value: unknown): ProjectOverrides {
  const out: ProjectOverrides = {};
  if (value === null || typeof value !== 'object') return out;
  for (const name of Object.keys(PROJECT_SETTINGS) as ProjectSettingName[]) {
    const v = (value as Record<string, unknown>)[name];
    if (typeof v === 'number' && Number.isFinite(v)) out[name] = v;
  }
  return out;
}

/** A project's value of a setting: its own, else the installation's. */
export function projectSetting(name: ProjectSettingName, overrides: ProjectOverrides | undefined, settings: Pick<Settings, (typeof PROJECT_SETTINGS)[ProjectSettingName]['setting']>): number {
  return overrides?.[name] ?? (settings[PROJECT_SETTINGS[name].setting] as number);
}
