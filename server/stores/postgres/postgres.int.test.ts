import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogEvent } from '../../../shared/event.ts';
import { LogFlowError } from '../../../shared/errors.ts';
import { parseQuery } from '../../../shared/query/parse.ts';
import type { SearchQuery } from '../../../shared/query/search.ts';
import { MATCH_ALL } from '../../../shared/query/tree.ts';
import { openPool } from '../../db.ts';
import { createTestDatabase } from '../../../test/helpers.ts';
import { migrateLogs } from './schema.ts';
import { createPostgresSearch } from './search.ts';
import { createPostgresSink } from './sink.ts';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;
let projectA: number;
let projectB: number;
let seq = 0;

const T0 = Date.UTC(2026, 10, 1, 10, 0, 0);

function event(projectId: number, fields: Partial<LogEvent> = {}): LogEvent {
  seq += 1;
  return {
    event_id: `ev-${String(seq).padStart(5, '0')}`,
    project_id: projectId,
    timestamp: new Date(T0 + seq * 1000).toISOString(),
    ingest_ts: new Date(T0 + seq * 1000 + 5).toISOString(),
    service: 'api',
    level: 'INFO',
    message: `message number ${seq}`,
    ...fields,
  };
}

async function addProject(name: string): Promise<number> {
  const { rows } = await pool.query<{ id: string }>('INSERT INTO projects (name, api_key_hash) VALUES ($1, $2) RETURNING id', [name, `hash-${name}`]);
  return Number(rows[0]!.id);
}

beforeAll(async () => {
  db = await createTestDatabase();
  pool = openPool(db.url);
  // The projects table is another module's migration, which runs before ours in the real server.
  await pool.query('CREATE TABLE IF NOT EXISTS projects (id bigserial primary key, name text not null unique, api_key_hash text not null unique, is_active boolean not null default true, created_at timestamptz not null default now())');
  await createPostgresSink({ pool }).prepare();
  projectA = await addProject('a');
  projectB = await addProject('b');
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const sink = () => createPostgresSink({ pool });
type Ask = Partial<SearchQuery> & { projectId: number; text?: string };
const search = ({ text, ...q }: Ask) => createPostgresSearch({ pool }).search({ limit: 100, query: text === undefined ? MATCH_ALL : parseQuery(text), ...q });

describe('when migrating', () => {
  it('does succeed again and from several processes at once', async () => {
    await Promise.all([migrateLogs(pool), migrateLogs(pool), migrateLogs(pool)]);
    const { rows } = await pool.query("SELECT indexname FROM pg_indexes WHERE tablename = 'logs' ORDER BY indexname");
    expect(rows.map((r) => r.indexname)).toEqual([
      'logs_message_legacy_fts_idx',
      'logs_project_level_ts_idx',
      'logs_project_request_idx',
      'logs_project_service_level_ts_idx',
      'logs_project_service_ts_idx',
      'logs_project_trace_idx',
      'logs_project_ts_event_key',
      'logs_search_idx',
    ]);
    expect((await pool.query("SELECT relkind::text AS k FROM pg_class WHERE relname = 'logs'")).rows[0].k).toBe('p');
  });

  it('does give the partitions an installation has already an index a later release adds', async () => {
    expect(await sink().write([event(projectA, { message: 'made a partition' })])).toEqual([{ status: 'ok' }]);
    await pool.query('DROP INDEX logs_project_service_level_ts_idx'); // as before the release that added it
    await migrateLogs(pool);
    const leaves = await pool.query(
      "SELECT c.relname, EXISTS (SELECT 1 FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid WHERE i.indrelid = c.oid AND i.indisvalid AND pg_get_indexdef(x.oid) LIKE '%(project_id, service, level, ts DESC)%') AS has FROM pg_class c WHERE c.relname LIKE 'logs\\_%' AND c.relkind = 'r'",
    );
    expect(leaves.rows.length).toBeGreaterThan(0);
    expect(leaves.rows.filter((r) => !r.has)).toEqual([]);
  });
});

describe('when writing events', () => {
  it('does find what was written, every field intact', async () => {
    const e = event(projectA, { trace_id: 't1', request_id: 'r1', host: 'h1', env: 'prod', metadata: { user: { id: 3 }, tags: ['x'] } });
    expect(await sink().write([e])).toEqual([{ status: 'ok' }]);
    const page = await search({ projectId: projectA, text: `"number ${seq}"` });
    expect(page.hits).toEqual([e]);
  });

  it('does store a batch sent twice only once, answering ok both times', async () => {
    const batch = [event(projectA, { service: 'twice' }), event(projectA, { service: 'twice' })];
    expect(await sink().write(batch)).toEqual([{ status: 'ok' }, { status: 'ok' }]);
    expect(await sink().write(batch)).toEqual([{ status: 'ok' }, { status: 'ok' }]);
    expect((await search({ projectId: projectA, text: 'service:twice' })).hits).toHaveLength(2);
  });

  it('does store each event of a batch once when some of it is there already (a redelivery)', async () => {
    const batch = [1, 2, 3, 4].map(() => event(projectA, { service: 'again' }));
    expect(await sink().write(batch.slice(1, 3))).toEqual([{ status: 'ok' }, { status: 'ok' }]);
    expect(await sink().write([...batch, batch[0]!])).toEqual(batch.concat(batch[0]!).map(() => ({ status: 'ok' })));
    const stored = (await search({ projectId: projectA, text: 'service:again' })).hits.map((h) => h.event_id);
    expect(stored.sort()).toEqual(batch.map((e) => e.event_id).sort());
  });

  it('does keep tabs, line breaks, backslashes and quotes in every field as they were', async () => {
    const odd = 'a\tb \\N c\n\r "q" \'s\' \\. \u00e9';
    const e = event(projectA, { service: `odd${odd}`, message: `odd ${odd}`, trace_id: `\\N`, metadata: { [odd]: odd, n: [odd] } });
    expect(await sink().write([e])).toEqual([{ status: 'ok' }]);
    const { rows } = await pool.query('SELECT service, message, trace_id, metadata FROM logs WHERE event_id = $1', [e.event_id]);
    expect(rows).toEqual([{ service: e.service, message: e.message, trace_id: '\\N', metadata: e.metadata }]);
  });

  it('does reject only the event with a NUL byte, with a reason, and store the others', async () => {
    const batch = [1, 2, 3, 4, 5].map(() => event(projectA, { service: 'nul' }));
    batch[3]!.message = 'bad \u0000 byte';
    const results = await sink().write(batch);
    expect(results.map((r) => r.status)).toEqual(['ok', 'ok', 'ok', 'reject', 'ok']);
    expect(results[3]).toMatchObject({ reason: expect.stringMatching(/message.*0x00/) });
    const stored = (await search({ projectId: projectA, text: 'service:nul' })).hits.map((h) => h.event_id);
    expect(stored.sort()).toEqual([0, 1, 2, 4].map((i) => batch[i]!.event_id).sort());
  });

  it('does reject metadata that jsonb cannot hold and an unknown project, each with a reason', async () => {
    const batch = [event(projectA, { service: 'bad-meta', metadata: { k: 'a\u0000b' } }), event(999_999, { service: 'bad-meta' }), event(projectA, { service: 'bad-meta' })];
    const results = await sink().write(batch);
    expect(results.map((r) => r.status)).toEqual(['reject', 'reject', 'ok']);
    expect(results[0]).toMatchObject({ reason: expect.stringMatching(/metadata/) });
    expect(results[1]).toMatchObject({ reason: expect.stringMatching(/foreign key.*project_id\)=\(999999\)/) });
  });

  it('does keep times beyond year 9999 to the millisecond', async () => {
    const e = event(projectA, { service: 'far', timestamp: '+012345-06-07T08:09:10.011Z' });
    expect(await sink().write([e])).toEqual([{ status: 'ok' }]);
    expect((await search({ projectId: projectA, text: 'service:far' })).hits[0]!.timestamp).toBe(e.timestamp);
  });

  it('does throw a transient LogFlowError when PostgreSQL cannot be reached', async () => {
    const down = openPool('postgres://postgres@127.0.0.1:9/x');
    try {
      const err = await createPostgresSink({ pool: down }).write([event(projectA)]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LogFlowError);
      expect(err).toMatchObject({ transient: true, code: 'STORE_UNAVAILABLE' });
    } finally {
      await down.end();
    }
  });
});

describe('when searching', () => {
  beforeAll(async () => {
    await sink().write([
      event(projectA, { service: 'search', level: 'ERROR', message: 'disk full on volume data' }),
      event(projectA, { service: 'search', level: 'WARN', message: 'disk almost full' }),
      event(projectA, { service: 'search', level: 'INFO', message: 'volume mounted' }),
      event(projectA, { service: 'other', level: 'ERROR', message: 'disk full elsewhere' }),
      event(projectB, { service: 'search', level: 'ERROR', message: 'disk full in project b' }),
    ]);
  });

  const messages = async ({ text = '', ...q }: Partial<Ask>) => (await search({ projectId: projectA, text: `service:search ${text}`, ...q })).hits.map((h) => h.message);

  it('does return only the project asked for', async () => {
    expect((await search({ projectId: projectB })).hits.map((h) => h.message)).toEqual(['disk full in project b']);
  });

  it('does filter by service and by levels', async () => {
    expect(await messages({})).toEqual(['volume mounted', 'disk almost full', 'disk full on volume data']);
    expect(await messages({ text: 'level:>=WARN' })).toEqual(['disk almost full', 'disk full on volume data']);
  });

  it('does match text only when every word is in the message', async () => {
    expect(await messages({ text: 'disk full' })).toEqual(['disk almost full', 'disk full on volume data']);
    expect(await messages({ text: 'volume disk' })).toEqual(['disk full on volume data']);
    expect(await messages({ text: 'disk or mounted' })).toEqual([]);
  });

  it('does never fail on text with query operators in it', async () => {
    for (const text of ["foo & | ! ( :* '", '"unclosed', 'a <-> b', '-disk', '\\', ':*', '!!!', "o'neil", 'x:*', 'a:>5', "k:'v'"]) {
      await expect(messages({ text })).resolves.toBeInstanceOf(Array);
    }
  });

  it('does keep from inclusive and to exclusive', async () => {
    const hits = (await search({ projectId: projectA, text: 'service:search' })).hits;
    const [newest, middle, oldest] = hits.map((h) => Date.parse(h.timestamp));
    expect(await messages({ fromMs: middle, toMs: newest })).toEqual(['disk almost full']);
    expect(await messages({ fromMs: oldest, toMs: middle })).toEqual(['disk full on volume data']);
  });
});

describe('when a search runs past the search timeout', () => {
  it('does stop it and say so (SEARCH_TIMEOUT, a 504), and answer the next one once PostgreSQL can', async () => {
    const timed = openPool(db.url, 2, { statementTimeoutMs: 300 });
    const locker = await pool.connect();
    try {
      // A search that cannot finish in time, whatever the machine: it waits on a lock the test holds.
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE logs IN ACCESS EXCLUSIVE MODE');
      const stopped = createPostgresSearch({ pool: timed, timeoutMs: 300 }).search({ projectId: projectA, limit: 10, query: MATCH_ALL });
      await expect(stopped).rejects.toMatchObject({ code: 'SEARCH_TIMEOUT', transient: false, message: expect.stringMatching(/longer than 0.3 s \(LOGFLOW_SEARCH_TIMEOUT_MS\) and was stopped/) });
      await locker.query('ROLLBACK');
      await expect(createPostgresSearch({ pool: timed, timeoutMs: 300 }).search({ projectId: projectA, limit: 10, query: MATCH_ALL })).resolves.toMatchObject({ hits: expect.any(Array) });
    } finally {
      await locker.query('ROLLBACK').catch(() => {});
      locker.release();
      await timed.end();
    }
  });
});

describe('when paging', () => {
  it('does return all 25 events exactly once, newest first, across equal timestamps', async () => {
    // Five distinct times, five events each: pages of 10 must split ties and still lose nothing.
    const batch = Array.from({ length: 25 }, (_, i) => event(projectA, { service: 'paging', timestamp: new Date(T0 + Math.floor(i / 5) * 1000).toISOString() }));
    await sink().write(batch.reverse());
    const seen: LogEvent[] = [];
    const pageSizes: number[] = [];
    let after: SearchQuery['after'];
    do {
      const page = await search({ projectId: projectA, text: 'service:paging', limit: 10, after });
      seen.push(...page.hits);
      pageSizes.push(page.hits.length);
      after = page.nextCursor;
    } while (after);
    expect(pageSizes).toEqual([10, 10, 5]);
    const expected = [...batch].sort((x, y) => Date.parse(y.timestamp) - Date.parse(x.timestamp) || (y.event_id < x.event_id ? -1 : 1));
    expect(seen.map((h) => h.event_id)).toEqual(expected.map((e) => e.event_id));
  });
});
