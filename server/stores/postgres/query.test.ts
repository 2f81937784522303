import { describe, expect, it } from 'vitest';
import { parseQuery } from '../../../shared/query/parse.ts';
import type { SearchQuery } from '../../../shared/query/search.ts';
import { MATCH_ALL } from '../../../shared/query/tree.ts';
import { fromRow, pgTimestamp, toSql, type LogRow } from './query.ts';

const base = { projectId: 7, limit: 50, query: MATCH_ALL };
const sql = (text: string, over: Partial<SearchQuery> = {}) => toSql({ ...base, query: parseQuery(text), ...over });

describe('when translating a search into SQL', () => {
  it('does scope every query to the project and order newest first', () => {
    const { text, values } = toSql(base);
    expect(text).toMatch(/WHERE project_id = \$1 ORDER BY ts DESC, event_id DESC LIMIT \$2$/);
    expect(values).toEqual([7, 50]);
  });

  it('does bind every filter as a parameter, in order', () => {
    const { text, values } = sql('service:api level:>=WARN', { fromMs: Date.UTC(2026, 0, 1), toMs: Date.UTC(2026, 0, 2), after: { timestampMs: Date.UTC(2026, 0, 1, 12), eventId: 'e9' } });
    expect(text).toContain('ts >= $2::timestamptz');
    expect(text).toContain('ts < $3::timestamptz');
    expect(text).toContain('service = $4');
    expect(text).toContain('level = ANY($5::text[])');
    expect(text).toContain('(ts, event_id) < ($6::timestamptz, $7)');
    expect(text).toMatch(/LIMIT \$8$/);
    expect(values).toEqual([7, '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z', 'api', ['WARN', 'ERROR'], '2026-01-01T12:00:00.000Z', 'e9', 50]);
    // One level is an equality, which the (project_id, service, level, ts) index walks in time order.
    const one = sql('service:api level:ERROR');
    expect(one.text).toContain('service = $2 AND level = $3 ');
    expect(one.values[2]).toBe('ERROR');
  });

  it('does build tsqueries from LogFlow words, quoted, and keep older rows found by message', () => {
    const { text, values } = sql(`"card declined" o'neil* -err.code:E1`);
    expect(values).toContain("'card declined'");
    expect(values).toContain("'o' & 'neil':*");
    expect(values).toContain("'=err.code=E1'");
    expect(text).toContain("(search IS NULL AND to_tsvector('simple', message) @@ plainto_tsquery('simple', $3))");
    expect(text).toContain('NOT coalesce(search @@ $6::tsquery, false)');
  });

  it('does never put user text into the statement itself', () => {
    const hostile = "x'); DROP TABLE logs; -- & | ! ( :*";
    const { text, values } = sql(`service:"${hostile}" "${hostile}"`, { after: { timestampMs: 0, eventId: hostile } });
    expect(text).not.toContain('DROP');
    expect(values.filter((v) => v === hostile)).toHaveLength(3);
  });

  it('does ignore text that holds no word', () => {
    const { text, values } = sql('  -- | ( ');
    expect(text).not.toMatch(/ANY|tsquery/);
    expect(values).toEqual([7, 50]);
  });
});

describe('when writing a time for PostgreSQL', () => {
  it('does keep milliseconds in years 1 to 9999', () => {
    expect(pgTimestamp(Date.UTC(2026, 10, 1, 10, 0, 0, 7))).toBe('2026-11-01T10:00:00.007Z');
  });

  it('does spell years after 9999 and before 1 AD the way PostgreSQL reads them', () => {
    expect(pgTimestamp(8.64e15)).toBe('275760-09-13T00:00:00.000Z');
    // ISO year 0 is 1 BC; Date.UTC would read 0 as 1900, so setUTCFullYear builds these.
    const at = (year: number, month: number, day: number) => new Date(0).setUTCFullYear(year, month, day);
    expect(pgTimestamp(at(0, 0, 1))).toBe('0001-01-01T00:00:00.000Z BC');
    expect(pgTimestamp(at(-1, 2, 4))).toBe('0002-03-04T00:00:00.000Z BC');
  });
});

describe('when reading a row back', () => {
  const row: LogRow = {
    project_id: '7',
    event_id: 'e1',
    ts: new Date('2026-11-01T10:00:00.123Z'),
    ingest_ts: new Date('2026-11-01T10:00:01Z'),
    service: 'api',
    level: 'ERROR',
    message: 'boom',
    trace_id: null,
    request_id: 'r1',
    host: null,
    env: null,
    metadata: null,
  };

  it('does give ISO times with milliseconds and the project as a number', () => {
    expect(fromRow(row)).toEqual({
      event_id: 'e1',
      project_id: 7,
      timestamp: '2026-11-01T10:00:00.123Z',
      ingest_ts: '2026-11-01T10:00:01.000Z',
      service: 'api',
      level: 'ERROR',
      message: 'boom',
      request_id: 'r1',
    });
  });

  it('does omit optional fields that are NULL rather than set them to null', () => {
    const event = fromRow(row);
    expect(Object.keys(event)).not.toContain('trace_id');
    expect(Object.keys(event)).not.toContain('metadata');
  });

  it('does keep metadata as an object', () => {
    expect(fromRow({ ...row, metadata: { a: { b: [1] } } }).metadata).toEqual({ a: { b: [1] } });
  });
});
