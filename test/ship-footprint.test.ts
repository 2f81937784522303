import madge from 'madge';
import { describe, expect, it } from 'vitest';

// `logflow ship` runs as a sidecar next to every application: it must start fast and small, so it
// never loads the server's clients for Redis, PostgreSQL or OpenSearch.
describe('when logflow ship starts', () => {
  it('imports none of the server’s database clients, directly or through another module', async () => {
    const graph = await madge('cli/commands/ship.ts', { fileExtensions: ['ts'], tsConfig: 'tsconfig.json', includeNpm: true });
    const modules = Object.entries(graph.obj()).flatMap(([file, deps]) => [file, ...deps]);
    expect(modules.some((m) => m.endsWith('ship/sources/tailer.ts'))).toBe(true); // the walk did reach the agent
    for (const forbidden of ['ioredis', 'node_modules/pg/', '@opensearch-project', 'server/']) {
      expect(modules.filter((m) => m.includes(forbidden)), forbidden).toEqual([]);
    }
  });
});
