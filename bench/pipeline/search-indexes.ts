// The PostgreSQL indexes of the search data set (search-data.ts): dropped before its bulk load and
// built after it, on every partition, as PostgreSQL advises for a bulk load.
import pg from 'pg';

/** Drops the indexes of `logs` but those backing constraints (the rows must meet them); their definitions. */
export async function dropIndexes(c: pg.Client): Promise<{ indexname: string; indexdef: string }[]> {
  const { rows } = await c.query<{ indexname: string; indexdef: string }>(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'logs' AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'logs'::regclass)`);
  for (const i of rows) await c.query(`DROP INDEX ${pg.escapeIdentifier(i.indexname)}`);
  return rows;
}

/**
 * Builds indexes from their definitions on `logs` and every partition under it. PostgreSQL writes a
 * partitioned table's index as `ON ONLY logs`, which run as it is makes an index of the parent alone,
 * invalid and used by no query: every search then read whole partitions.
 */
export async function buildIndexes(c: pg.Client, indexes: { indexdef: string }[]): Promise<void> {
  console.error(`  PostgreSQL: building ${indexes.length} indexes`);
  await c.query("SET maintenance_work_mem = '512MB'");
  for (const i of indexes) await c.query(i.indexdef.replace(/ ON ONLY /, ' ON '));
  await c.query('VACUUM ANALYZE');
}

/** A kept data set loaded by a bench that built its indexes `ON ONLY` (invalid) gets them built again. */
export async function repairIndexes(c: pg.Client): Promise<void> {
  const { rows } = await c.query(`SELECT count(*)::int AS n FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname = 'logs' AND NOT i.indisvalid`);
  if (rows[0].n > 0) await buildIndexes(c, await dropIndexes(c));
}
