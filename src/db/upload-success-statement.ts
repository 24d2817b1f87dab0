import pg from 'pg';
import type { UploadKey } from '../domain/upload-key.ts';
import type { UploadRecord } from '../domain/upload-record.ts';
import { fileIdLockKey } from './file-id-lock.ts';
import { successTables, successUpdateSql, type SucceededFields, type SuccessTables } from './upload-success-sql.ts';
import { recordFromSuccessRow } from './upload-sql-row.ts';

/**
 * The common case of an upload's success in one round trip: one simple query of two statements,
 * which Postgres runs as one transaction, each statement with a snapshot of its own: the FileId's
 * lock (as the event consumer takes it), then the move (successUpdateSql), made only when the
 * tenant has no endpoint for upload.succeeded. Answers the record, or undefined when no row moved
 * (endpoints, events that came first, a status that does not allow it): the caller then takes
 * another path, which must equal this one in effect. A simple query takes no parameters: every
 * value is a literal escaped by node-postgres (escapeLiteral) or a number checked first.
 */
export class UploadSuccessStatement {
  readonly #tables: SuccessTables;

  constructor(
    private readonly pool: pg.Pool,
    schema: string,
  ) {
    this.#tables = successTables(schema);
  }

  async run(key: UploadKey, fields: SucceededFields): Promise<UploadRecord | undefined> {
    const literal = (value: string | number | Date | readonly string[] | null): string => {
      if (value === null) return 'NULL';
      if (typeof value === 'number') return String(value);
      if (value instanceof Date) return pg.escapeLiteral(value.toISOString());
      if (typeof value === 'string') return pg.escapeLiteral(value);
      return `ARRAY[${value.map((item) => pg.escapeLiteral(item)).join(', ')}]`;
    };
    const results = (await this.pool.query(
      `SELECT pg_advisory_xact_lock(hashtextextended(${literal(fileIdLockKey(fields.fileId))}, 0));
       ${successUpdateSql(this.#tables, { key, fields }, literal, { onlyWithoutEndpoints: true })}`,
    )) as unknown as pg.QueryResult[];
    const row = results[1]?.rows[0] as Record<string, unknown> | undefined;
    return row === undefined ? undefined : recordFromSuccessRow(row).record;
  }
}
