import type { UploadKey, UploadWriter } from '../db/upload-writer.ts';
import type { Logger } from '../logging/logger.ts';
import type { PipelineDependencies } from '../pipeline/upload-pipeline.ts';

export interface PausedMultipartDependencies {
  readonly writer: UploadWriter;
  readonly pipeline: Pick<PipelineDependencies, 'openObjectStore' | 'fallbackCredentials'>;
  readonly logger: Logger;
}

/**
 * Aborts the multipart uploads an upload kept open (a paused upload canceled or expired), with the
 * service's own key: the session's temporary key may have expired. An abort that fails stays
 * recorded (multipart_upload_id) for a later cleanup. Returns how many were aborted.
 */
export async function abortKeptMultiparts(
  upload: UploadKey & { storageBucket: string | null; bucketRegion: string | null },
  deps: PausedMultipartDependencies,
): Promise<number> {
  if (upload.storageBucket === null || upload.bucketRegion === null) return 0;
  const store = deps.pipeline.openObjectStore({
    bucket: upload.storageBucket,
    region: upload.bucketRegion,
    credentials: deps.pipeline.fallbackCredentials,
  });
  let aborted = 0;
  for (const open of await deps.writer.openMultiparts(upload)) {
    try {
      await store.abortMultipartUpload({ key: open.storageKey, uploadId: open.multipartUploadId });
      await deps.writer.recordMultipartClosed(upload, open);
      aborted += 1;
    } catch (error) {
      deps.logger.warn({ err: error, uploadId: upload.id, key: open.storageKey }, 'could not abort a kept multipart upload');
    }
  }
  return aborted;
}
