import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// No Docker engine runs where the tests run, so the compose file is validated, not run.
function composeCommand(): string[] | undefined {
  if (spawnSync('docker', ['compose', 'version']).status === 0) return ['docker', 'compose'];
  if (spawnSync('docker-compose', ['version']).status === 0) return ['docker-compose'];
  return undefined;
}

describe('when Docker users run the stack', () => {
  const cmd = composeCommand();
  it.skipIf(!cmd && !process.env.CI)('has a docker-compose.yml that `docker compose config` accepts', () => {
    expect(cmd, 'neither `docker compose` nor `docker-compose` is installed').toBeDefined();
    const out = execFileSync(cmd![0]!, [...cmd!.slice(1), 'config', '--services'], { encoding: 'utf8' });
    expect(out.split('\n').filter(Boolean).sort()).toEqual(['migrate', 'opensearch', 'postgres', 'redis', 'server', 'worker']);
  });
});
