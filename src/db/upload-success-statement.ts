import type pg from 'pg';
import { statusesBefore } from '../domain/transitions.ts';
import type { UploadKey } from '../domain/upload-key.ts';
import type { UploadRecord } from '../domain/upload-record.ts';
import { quoteIdent } from './migrate.ts';
import { queryPrepared } from './prepared-query.ts';
import { toUploadRecord } from './upload-repository.ts';
import { storedFilesFromJson, storedFilesJsonSql, uploadRowFromSql, type StoredFileJson } from './upload-sql-row.ts';
import { fileIdLockKey } from './vod-event-store.ts';

export interface SucceededFields {
  readonly fileId: string;
  readonly mediaUrl: string;
  readonly coverUrl: string | null;
  readonly coverType?: string | undefined;
  readonly requestId: string;
  readonly bytes: { readonly received: number; readonly uploaded: number; readonly total: number };
}

/**
 * The common case of an upload's success in three round trips: under the FileId's lock (as the
 * event consumer takes it), the move to SUCCEEDED (QUEUED processing when a task flow was asked
 * for), which also tells whether the tenant has endpoints for upload.succeeded and whether events
 * of the FileId came first; with neither, it commits and answers the record. Otherwise it rolls
 * back and answers undefined: the caller takes the general path (the webhook outbox, the waiting
 * events), which this one must equal in effect.
 */
export class UploadSuccessStatement {
  readonly #text: string;

  constructor(
    private readonly pool: pg.Pool,
    schema: string,
  ) {
    const q = quoteIdent(schema);
    this.#text = `UPDATE ${q}."uploads" u SET status = 'SUCCEEDED', file_id = $3, media_url = $4, cover_url = $5,
        cover_type = coalesce($6, u.cover_type), request_id = $7, bytes_received = $8, bytes_uploaded = $9, bytes_total = $10,
        session_credential_id = NULL, session_credential_sealed = NULL, session_credential_expires_at = NULL,
        finished_at = $11, updated_at = now(),
        processing_status = CASE WHEN u.procedure IS NOT NULL AND u.processing_status = 'NONE' THEN 'QUEUED' ELSE u.processing_status END
      WHERE u.tenant_id = $1::uuid AND u.id = $2::uuid AND u.status::text = ANY($12::text[])
      RETURNING u.*,
        (SELECT count(*)::int FROM ${q}."webhook_endpoints" e
          WHERE e.tenant_id = u.tenant_id AND e.enabled AND 'UPLOAD_SUCCEEDED' = ANY(e.events)) AS succeeded_endpoints,
        EXISTS (SELECT 1 FROM ${q}."vod_events" v WHERE v.file_id = $3 AND v.applied_at IS NULL) AS events_waiting,
        ${storedFilesJsonSql(`${q}."stored_files"`, 'u')} AS stored_files_json`;
  }

  async run(key: UploadKey, fields: SucceededFields): Promise<UploadRecord | undefined> {
    const client = await this.pool.connect();
    let failure: unknown;
    try {
      // BEGIN and the lock in one round trip; the update that follows sees every event committed before it.
      await client.query(`BEGIN; SELECT pg_advisory_xact_lock(hashtextextended(${client.escapeLiteral(fileIdLockKey(fields.fileId))}, 0))`);
      const [row] = await queryPrepared<Record<string, unknown>>(client, this.#text, [
        key.tenantId,
        key.id,
        fields.fileId,
        fields.mediaUrl,
        fields.coverUrl,
        fields.coverType ?? null,
        fields.requestId,
        fields.bytes.received,
        fields.bytes.uploaded,
        fields.bytes.total,
        new Date(),
        statusesBefore('SUCCEEDED'),
      ]);
      if (row === undefined || row['succeeded_endpoints'] !== 0 || row['events_waiting'] !== false) {
        await client.query('ROLLBACK');
        return undefined;
      }
      await client.query('COMMIT');
      const { succeeded_endpoints: _endpoints, events_waiting: _waiting, stored_files_json: files, ...upload } = row;
      return toUploadRecord({ ...uploadRowFromSql(upload), files: storedFilesFromJson(files as StoredFileJson[]) });
    } catch (error) {
      failure = error;
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      // A connection that failed mid-transaction is not given back to the pool.
      client.release(failure instanceof Error ? failure : undefined);
    }
  }
}
