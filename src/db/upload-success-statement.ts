import pg from 'pg';
import { statusesBefore } from '../domain/transitions.ts';
import type { UploadKey } from '../domain/upload-key.ts';
import type { UploadRecord } from '../domain/upload-record.ts';
import { quoteIdent } from './migrate.ts';
import { toUploadRecord } from './upload-repository.ts';
import { storedFilesFromJson, storedFilesJsonSql, uploadRowFromSql, type StoredFileJson } from './upload-sql-row.ts';
import { fileIdLockKey } from './file-id-lock.ts';

export interface SucceededFields {
  readonly fileId: string;
  readonly mediaUrl: string;
  readonly coverUrl: string | null;
  readonly coverType?: string | undefined;
  readonly requestId: string;
  readonly bytes: { readonly received: number; readonly uploaded: number; readonly total: number };
}

/**
 * The common case of an upload's success in one round trip: one simple query of two statements,
 * which Postgres runs as one transaction, each statement with a snapshot of its own: the FileId's
 * lock (as the event consumer takes it), then the move to SUCCEEDED (QUEUED processing when a task
 * flow was asked for), made only when the tenant has no endpoint for upload.succeeded and no event
 * of the FileId came first (the second statement sees every event committed before the lock).
 * Answers the record, or undefined when no row moved: the caller takes the general path (the
 * webhook outbox, the waiting events, a status that does not allow the move), which this one must
 * equal in effect. A simple query takes no parameters: every value is a literal escaped by
 * node-postgres (escapeLiteral) or a number checked here.
 */
export class UploadSuccessStatement {
  readonly #uploads: string;
  readonly #endpoints: string;
  readonly #events: string;
  readonly #files: string;

  constructor(
    private readonly pool: pg.Pool,
    schema: string,
  ) {
    const q = quoteIdent(schema);
    this.#uploads = `${q}."uploads"`;
    this.#endpoints = `${q}."webhook_endpoints"`;
    this.#events = `${q}."vod_events"`;
    this.#files = `${q}."stored_files"`;
  }

  async run(key: UploadKey, fields: SucceededFields): Promise<UploadRecord | undefined> {
    const text = (value: string | null): string => (value === null ? 'NULL' : pg.escapeLiteral(value));
    const count = (value: number): string => {
      if (!Number.isSafeInteger(value) || value < 0) throw new Error(`not a byte count: ${value}`);
      return String(value);
    };
    const fileId = text(fields.fileId);
    const from = statusesBefore('SUCCEEDED').map((status) => text(status)).join(', ');
    const results = (await this.pool.query(
      `SELECT pg_advisory_xact_lock(hashtextextended(${text(fileIdLockKey(fields.fileId))}, 0));
       UPDATE ${this.#uploads} u SET status = 'SUCCEEDED', file_id = ${fileId}, media_url = ${text(fields.mediaUrl)},
         cover_url = ${text(fields.coverUrl)}, cover_type = coalesce(${text(fields.coverType ?? null)}, u.cover_type),
         request_id = ${text(fields.requestId)}, bytes_received = ${count(fields.bytes.received)},
         bytes_uploaded = ${count(fields.bytes.uploaded)}, bytes_total = ${count(fields.bytes.total)},
         session_credential_id = NULL, session_credential_sealed = NULL, session_credential_expires_at = NULL,
         finished_at = ${text(new Date().toISOString())}::timestamptz, updated_at = now(),
         processing_status = CASE WHEN u.procedure IS NOT NULL AND u.processing_status = 'NONE' THEN 'QUEUED' ELSE u.processing_status END
       WHERE u.tenant_id = ${text(key.tenantId)}::uuid AND u.id = ${text(key.id)}::uuid AND u.status::text IN (${from})
         AND NOT EXISTS (SELECT 1 FROM ${this.#endpoints} e
                         WHERE e.tenant_id = u.tenant_id AND e.enabled AND 'UPLOAD_SUCCEEDED' = ANY(e.events))
         AND NOT EXISTS (SELECT 1 FROM ${this.#events} v WHERE v.file_id = ${fileId} AND v.applied_at IS NULL)
       RETURNING u.*, ${storedFilesJsonSql(this.#files, 'u')} AS stored_files_json`,
    )) as unknown as pg.QueryResult[];
    const row = results[1]?.rows[0] as Record<string, unknown> | undefined;
    if (row === undefined) return undefined;
    const { stored_files_json: files, ...upload } = row;
    return toUploadRecord({ ...uploadRowFromSql(upload), files: storedFilesFromJson(files as StoredFileJson[]) });
  }
}
