import { uploadProgress, type UploadRecord } from '../domain/upload-record.ts';

/** The upload as GraphQL shows a MediaUpload, as JSON (dates in ISO 8601): a webhook's `data`. */
export function uploadPayload(record: UploadRecord): Record<string, unknown> {
  const { tenantId: _tenantId, ...shown } = record;
  return JSON.parse(JSON.stringify({ ...shown, progress: uploadProgress(record) })) as Record<string, unknown>;
}
