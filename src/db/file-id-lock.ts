import pg from 'pg';

/**
 * The advisory lock's name for a FileId (hashed with hashtextextended(…, 0)). Every transaction that
 * links events and uploads through a FileId takes it first: the event store and an upload's success.
 */
export function fileIdLockKey(fileId: string): string {
  return `vod-file:${fileId}`;
}

/** The statement that takes the FileId's lock until the transaction ends, its name as a literal. */
export function fileIdLockSql(fileId: string): string {
  return `SELECT pg_advisory_xact_lock(hashtextextended(${sqlLiteral(fileIdLockKey(fileId))}, 0))`;
}

/**
 * Runs `statement` under the FileId's lock in one round trip: one simple query of two statements,
 * which Postgres runs as one implicit transaction, each with a snapshot of its own (so the
 * statement sees everything committed before the lock was granted). A simple query takes no
 * parameters: `statement` must carry its values as sqlLiteral. Answers the statement's result.
 */
export async function queryUnderFileIdLock(pool: pg.Pool, fileId: string, statement: string): Promise<pg.QueryResult> {
  const results = (await pool.query(`${fileIdLockSql(fileId)};\n${statement}`)) as unknown as pg.QueryResult[];
  const result = results[1];
  if (result === undefined) throw new Error('the statement under the FileId lock gave no result');
  return result;
}

/** A value as SQL for a simple query: strings escaped by node-postgres (escapeLiteral), numbers checked. */
export function sqlLiteral(value: string | number | readonly string[] | null): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`not a number for SQL: ${value}`);
    return String(value);
  }
  if (typeof value === 'string') return pg.escapeLiteral(value);
  return `ARRAY[${value.map((item) => pg.escapeLiteral(item)).join(', ')}]::text[]`;
}
