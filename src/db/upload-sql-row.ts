import type { UploadRecord } from '../domain/upload-record.ts';
import type { StoredFile as StoredFileRow, Upload as UploadRow } from '../generated/prisma/client.ts';
import { toUploadRecord } from './upload-repository.ts';

/** Columns node-postgres hands back as strings (int8) that the Prisma row types hold as bigint. */
const UPLOAD_BIGINT_COLUMNS = new Set(['media_size_hint', 'bytes_total', 'bytes_received', 'bytes_uploaded', 'resumable_offset']);

const camelCases = new Map<string, string>();

/** The Prisma field name of a column (`media_size_hint` → `mediaSizeHint`); the few names are kept. */
function camelCase(column: string): string {
  let name = camelCases.get(column);
  if (name === undefined) {
    name = column.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
    camelCases.set(column, name);
  }
  return name;
}

/** An `uploads` row read with SQL (`RETURNING *`), in the shape Prisma gives it. */
export function uploadRowFromSql(row: Record<string, unknown>): UploadRow {
  const converted: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) {
    converted[camelCase(column)] = UPLOAD_BIGINT_COLUMNS.has(column) && value !== null ? BigInt(value as string) : value;
  }
  return converted as unknown as UploadRow;
}

/** What toUploadRecord reads of a stored file, from `json_build_object` in SQL. */
export interface StoredFileJson {
  readonly role: StoredFileRow['role'];
  readonly path: string;
  readonly bytes: string;
  readonly sha256: string | null;
}

/** SQL for the stored files of upload row `u` as StoredFileJson[], in the order the API lists them. */
export function storedFilesJsonSql(filesTable: string, upload: string): string {
  return `(SELECT coalesce(json_agg(json_build_object('role', f.role, 'path', f.path, 'bytes', f.bytes::text, 'sha256', f.sha256)
                                    ORDER BY f.created_at, f.id), '[]'::json)
           FROM ${filesTable} f WHERE f.tenant_id = ${upload}.tenant_id AND f.upload_id = ${upload}.id AND f.stored_at IS NOT NULL)`;
}

/** StoredFileJson as the stored-file rows toUploadRecord takes (it reads role, path, bytes and sha256). */
export function storedFilesFromJson(files: readonly StoredFileJson[]): StoredFileRow[] {
  return files.map((file) => ({ role: file.role, path: file.path, bytes: BigInt(file.bytes), sha256: file.sha256 }) as StoredFileRow);
}

/** A row of successUpdateSql: the record, and the ids of the endpoints subscribed to upload.succeeded. */
export function recordFromSuccessRow(row: Record<string, unknown>): { record: UploadRecord; endpointIds: string[] } {
  const { stored_files_json: files, succeeded_endpoint_ids: endpointIds, ...upload } = row;
  return {
    record: toUploadRecord({ ...uploadRowFromSql(upload), files: storedFilesFromJson(files as StoredFileJson[]) }),
    endpointIds: (endpointIds as string[] | null) ?? [],
  };
}
