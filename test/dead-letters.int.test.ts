import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli.ts';
import { eventually } from './helpers.ts';
import { startStack, type Stack } from './stack.ts';

// A store-side cause an operator can fix: PostgreSQL refuses messages with "forbidden" in them
// (a CHECK constraint), so the postgres sink dead-letters those while the file sink stores them.
describe('when a person looks at, replays and drops dead letters', () => {
  let stack: Stack;
  let key: string;
  let db: pg.Client;

  const post = async (events: object[]) => {
    const res = await fetch(`${stack.url}/logs`, { method: 'POST', body: JSON.stringify(events), headers: { 'x-api-key': key, 'content-type': 'application/json' } });
    expect(res.status).toBe(200);
  };
  const cli = (args: string[]) => runCli(['dead-letters', ...args], stack.env);
  const stored = async (id: string) => (await db.query('SELECT count(*)::int AS n FROM logs WHERE event_id = $1', [id])).rows[0].n as number;
  const fileLines = async () => {
    const dir = path.join(stack.fileDir, (await readdir(stack.fileDir))[0]!);
    const lines: string[] = [];
    for (const f of await readdir(dir)) lines.push(...(await readFile(path.join(dir, f), 'utf8')).split('\n').filter(Boolean));
    return lines.map((l) => JSON.parse(l).event_id as string);
  };

  beforeAll(async () => {
    stack = await startStack({ opensearch: false });
    key = await stack.createProject('shop');
    db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    await db.query("ALTER TABLE logs ADD CONSTRAINT no_forbidden CHECK (message NOT LIKE '%forbidden%')");
    const at = (i: number) => new Date(Date.parse('2026-11-02T00:00:00Z') + i).toISOString();
    await post([
      { event_id: 'ok-1', timestamp: at(1), service: 'api', level: 'INFO', message: 'fine' },
      { event_id: 'bad-1', timestamp: at(2), service: 'api', level: 'ERROR', message: 'forbidden word one' },
      { event_id: 'bad-2', timestamp: at(3), service: 'api', level: 'ERROR', message: 'forbidden word two' },
    ]);
    await eventually(async () => ((await cli(['list'])).stderr.startsWith('2 dead letters') ? true : undefined), 30_000, 'two dead letters');
  });

  afterAll(async () => {
    await db?.end();
    await stack?.destroy();
  });

  it('does list them with the sink, the event and the reason the store gave', async () => {
    const pretty = await cli(['list', '--sink', 'postgres', '--limit', '1']);
    expect(pretty.code).toBe(0);
    expect(pretty.stdout).toMatch(/^\d+-\d+ {2}postgres {2}failed \S+\n {2}2026-11-02T00:00:00.002Z ERROR api project \d+ event bad-1\n {2}forbidden word one\n {2}reason: PostgreSQL refused the event: .*no_forbidden/);
    expect(pretty.stderr).toBe('2 dead letters of postgres, the oldest 1 shown (--limit)\n');
    const ndjson = await cli(['list', '--output', 'ndjson']);
    expect(ndjson.stdout.trim().split('\n').map((l) => JSON.parse(l).event.event_id)).toEqual(['bad-1', 'bad-2']);
    expect((await cli(['list', '--sink', 'file'])).stderr).toBe('0 dead letters of file\n');
  });

  it('does replay one into the sink that refused it only, once its cause is fixed', async () => {
    await db.query('ALTER TABLE logs DROP CONSTRAINT no_forbidden');
    const [first] = (await cli(['list', '--output', 'ndjson'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string });
    const r = await cli(['replay', '--id', first!.id]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`replayed 1 dead letter ${first!.id}: each goes back to the sink that refused it, and to no other\n`);
    await eventually(async () => ((await stored('bad-1')) === 1 ? true : undefined), 30_000, 'the replayed event in PostgreSQL');
    expect(await stored('bad-2')).toBe(0);
    // The file sink had it already and does not get it again.
    await new Promise((r) => setTimeout(r, 1000));
    expect((await fileLines()).sort()).toEqual(['bad-1', 'bad-2', 'ok-1']);
    expect((await cli(['list'])).stderr).toBe('1 dead letter\n');
  });

  it('does drop what is left, and says how many went', async () => {
    expect((await cli(['drop', '--sink', 'file'])).stdout).toBe('dropped 0 dead letters of file\n');
    expect((await cli(['drop'])).stdout).toBe('dropped 1 dead letter\n');
    expect((await cli(['list'])).stderr).toBe('0 dead letters\n');
    expect(await stored('bad-2')).toBe(0);
  });

  it('does refuse a sink or an id that cannot be one, as a usage error', async () => {
    const r = await cli(['replay', '--sink', 'elastic']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--sink "elastic" is not a sink: use opensearch, postgres, file/);
    expect((await cli(['drop', '--id', 'x'])).code).toBe(2);
  });
});
