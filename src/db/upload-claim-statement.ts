import type pg from 'pg';
import type { UploadKey } from '../domain/upload-key.ts';
import type { UploadRecord } from '../domain/upload-record.ts';
import { quoteIdent } from './migrate.ts';
import { queryPrepared } from './prepared-query.ts';
import { toUploadRecord } from './upload-repository.ts';
import { uploadRowFromSql } from './upload-sql-row.ts';
import type { NewUploadFields } from './upload-writer.ts';

/**
 * The PENDING record of a new upload id, in one statement that answers the record as written, or
 * undefined when the id is taken (the caller then looks at what holds it).
 */
export class UploadClaimStatement {
  readonly #text: string;

  constructor(
    private readonly pool: pg.Pool,
    schema: string,
  ) {
    this.#text = `INSERT INTO ${quoteIdent(schema)}."uploads"
        (tenant_id, id, status, region, media_name, media_type, cover_type, procedure, sub_app_id, class_id, storage_region,
         expire_time, source_context, concurrency, media_size_hint, bytes_total, instance_id, created_at, updated_at)
      VALUES ($1, $2, 'PENDING', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17)
      ON CONFLICT (tenant_id, id) DO NOTHING
      RETURNING *`;
  }

  async insert(key: UploadKey, fields: NewUploadFields, instanceId: string): Promise<UploadRecord | undefined> {
    const rows = await queryPrepared(this.pool, this.#text, [
      key.tenantId,
      key.id,
      fields.region,
      fields.mediaName,
      fields.mediaType,
      fields.coverType,
      fields.procedure,
      fields.subAppId,
      fields.classId,
      fields.storageRegion,
      fields.expireTime,
      fields.sourceContext,
      fields.concurrency,
      fields.mediaSizeHint,
      fields.bytesTotal,
      instanceId,
      new Date(),
    ]);
    const row = rows[0];
    return row === undefined ? undefined : toUploadRecord({ ...uploadRowFromSql(row), files: [] });
  }
}
