import { statusesBefore } from '../domain/transitions.ts';
import type { UploadKey } from '../domain/upload-key.ts';
import { quoteIdent } from './migrate.ts';
import { storedFilesJsonSql } from './upload-sql-row.ts';

export interface SucceededFields {
  readonly fileId: string;
  readonly mediaUrl: string;
  readonly coverUrl: string | null;
  readonly coverType?: string | undefined;
  readonly requestId: string;
  readonly bytes: { readonly received: number; readonly uploaded: number; readonly total: number };
}

/** Turns a value into SQL: a parameter (`$n`) or an escaped literal, as the statement is run. */
export type SqlValue = (value: string | number | readonly string[] | null) => string;

/** The tables the success statements touch, quoted, in the service's schema. */
export interface SuccessTables {
  readonly uploads: string;
  readonly endpoints: string;
  readonly events: string;
  readonly files: string;
}

export function successTables(schema: string): SuccessTables {
  const q = quoteIdent(schema);
  return { uploads: `${q}."uploads"`, endpoints: `${q}."webhook_endpoints"`, events: `${q}."vod_events"`, files: `${q}."stored_files"` };
}

function byteCount(value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`not a byte count: ${value}`);
  return value;
}

/**
 * The move to SUCCEEDED (with QUEUED processing when a task flow was asked for), made only from a
 * status that allows it and when no event of the FileId came first (those the general path applies),
 * answering the row and its stored files. Run after the FileId's lock was taken, in a statement of
 * its own (so it sees every event committed before the lock). `onlyWithoutEndpoints` also leaves the
 * row alone when the tenant has an endpoint for upload.succeeded; otherwise their ids are answered.
 */
export function successUpdateSql(
  tables: SuccessTables,
  success: { readonly key: UploadKey; readonly fields: SucceededFields },
  value: SqlValue,
  options: { readonly onlyWithoutEndpoints: boolean },
): string {
  const { key, fields } = success;
  const { onlyWithoutEndpoints } = options;
  const subscribed = `SELECT e.id::text FROM ${tables.endpoints} e
                      WHERE e.tenant_id = u.tenant_id AND e.enabled AND 'UPLOAD_SUCCEEDED' = ANY(e.events)`;
  const fileId = value(fields.fileId);
  return `UPDATE ${tables.uploads} u SET status = 'SUCCEEDED', file_id = ${fileId}, media_url = ${value(fields.mediaUrl)},
      cover_url = ${value(fields.coverUrl)}, cover_type = coalesce(${value(fields.coverType ?? null)}, u.cover_type),
      request_id = ${value(fields.requestId)}, bytes_received = ${value(byteCount(fields.bytes.received))}::bigint,
      bytes_uploaded = ${value(byteCount(fields.bytes.uploaded))}::bigint, bytes_total = ${value(byteCount(fields.bytes.total))}::bigint,
      session_credential_id = NULL, session_credential_sealed = NULL, session_credential_expires_at = NULL,
      finished_at = ${value(new Date().toISOString())}::timestamptz, updated_at = now(),
      processing_status = CASE WHEN u.procedure IS NOT NULL AND u.processing_status = 'NONE' THEN 'QUEUED' ELSE u.processing_status END
    WHERE u.tenant_id = ${value(key.tenantId)}::uuid AND u.id = ${value(key.id)}::uuid
      AND u.status::text = ANY(${value(statusesBefore('SUCCEEDED'))}::text[])
      AND NOT EXISTS (SELECT 1 FROM ${tables.events} v WHERE v.file_id = ${fileId} AND v.applied_at IS NULL)
      ${onlyWithoutEndpoints ? `AND NOT EXISTS (${subscribed})` : ''}
    RETURNING u.*, ${storedFilesJsonSql(tables.files, 'u')} AS stored_files_json,
      ${onlyWithoutEndpoints ? `'{}'::text[]` : `ARRAY(${subscribed} ORDER BY e.created_at, e.id)`} AS succeeded_endpoint_ids`;
}
