import type { LogEvent } from '../shared/event.ts';
import { freePort, runCli, startCli, stop } from './cli.ts';
import { eventually } from './helpers.ts';
import { startStack, type Stack } from './stack.ts';

/**
 * A stack (server, worker, OpenSearch and PostgreSQL sinks) and a second `logflow server` on the same
 * database without OPENSEARCH_URL, whose search is served from PostgreSQL: `logflow search` asks each,
 * so a test sees what a user of either store finds.
 */
export interface BothStores {
  stack: Stack;
  /** `logflow search ARGS --output ndjson` against each store, once each holds at least `count` events. */
  search(key: string, args: string[], count: number): Promise<Record<'opensearch' | 'postgres', LogEvent[]>>;
  destroy(): Promise<void>;
}

export async function startBothStores(): Promise<BothStores> {
  const stack = await startStack({ opensearch: true });
  const port = await freePort();
  const pgEnv: NodeJS.ProcessEnv = { ...stack.env, LOGFLOW_PORT: String(port), LOGFLOW_URL: `http://127.0.0.1:${port}` };
  delete pgEnv.OPENSEARCH_URL;
  const pgServer = startCli(['server'], pgEnv);
  await eventually(async () => {
    if (pgServer.exitCode !== null) throw new Error(`the PostgreSQL search server exited: ${pgServer.output()}`);
    const r = await fetch(`${pgEnv.LOGFLOW_URL}/healthz`).catch(() => undefined);
    return r?.ok ? true : undefined;
  }, 60_000, 'the PostgreSQL search server to answer');
  const searchIn = async (env: NodeJS.ProcessEnv, key: string, args: string[]) => {
    const r = await runCli(['search', ...args, '--output', 'ndjson', '--limit', '1000'], { ...env, LOGFLOW_API_KEY: key });
    if (r.code !== 0) throw new Error(`logflow search failed: ${r.stderr}`);
    return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogEvent);
  };
  return {
    stack,
    async search(key, args, count) {
      const found = async (env: NodeJS.ProcessEnv, name: string) => {
        let last: LogEvent[] = [];
        try {
          return await eventually(async () => {
            last = await searchIn(env, key, args);
            return last.length >= count ? last : undefined;
          }, 60_000, `${name} to hold ${count} events`);
        } catch {
          return last; // judged by the test, which shows what is missing
        }
      };
      return { opensearch: await found(stack.env, 'OpenSearch'), postgres: await found(pgEnv, 'PostgreSQL') };
    },
    async destroy() {
      await stop(pgServer);
      await stack.destroy();
    },
  };
}
