import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from './cli.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

/** scripts/opensearch.sh start on a port nothing answers on; its data directory is removed after. */
async function start(env: NodeJS.ProcessEnv): Promise<{ status: number | null; lastLine: string; stderr: string }> {
  const port = String(await freePort());
  try {
    const r = spawnSync('bash', ['scripts/opensearch.sh', 'start'], { cwd: ROOT, env: { ...process.env, OPENSEARCH_PORT: port, ...env }, encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, lastLine: r.stderr.trim().split('\n').pop() ?? '', stderr: r.stderr };
  } finally {
    rmSync(path.join(os.homedir(), '.cache/logflow', `opensearch-data-${port}`), { recursive: true, force: true });
  }
}

describe('when scripts/opensearch.sh cannot start OpenSearch', () => {
  it('does say there is no Java, in its last line', async () => {
    const r = await start({ OPENSEARCH_JAVA_HOME: '/nonexistent' });
    expect(r.status).toBe(1);
    expect(r.lastLine).toBe('opensearch: no Java found at /nonexistent: OpenSearch needs Java 17 (install openjdk-17-jre-headless, or set OPENSEARCH_JAVA_HOME)');
  });

  it('does show what OpenSearch said and why it stopped when the daemon fails', async () => {
    const r = await start({ OPENSEARCH_HEAP: '1k' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/Too small (initial|maximum) heap/);
    expect(r.lastLine).toMatch(/^opensearch: OpenSearch would not start \(exit 1\); its log is above and in \S+\/logs$/);
  });
});
