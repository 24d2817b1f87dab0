import type pg from 'pg';
import type { UploadKey } from '../domain/upload-key.ts';
import type { UploadRecord } from '../domain/upload-record.ts';
import { queryUnderFileIdLock, sqlLiteral } from './file-id-lock.ts';
import { successTables, successUpdateSql, type SucceededFields, type SuccessTables } from './upload-success-sql.ts';
import { recordFromSuccessRow } from './upload-sql-row.ts';

/**
 * The common case of an upload's success in one round trip: the move (successUpdateSql) under the
 * FileId's lock (queryUnderFileIdLock, the lock the event consumer takes), made only when the
 * tenant has no endpoint for upload.succeeded. Answers the record, or undefined when no row moved
 * (endpoints, events that came first, a status that does not allow it): the caller then takes
 * another path, which must equal this one in effect.
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
    const { rows } = await queryUnderFileIdLock(
      this.pool,
      fields.fileId,
      successUpdateSql(this.#tables, { key, fields }, sqlLiteral, { onlyWithoutEndpoints: true }),
    );
    const row = rows[0] as Record<string, unknown> | undefined;
    return row === undefined ? undefined : recordFromSuccessRow(row).record;
  }
}
