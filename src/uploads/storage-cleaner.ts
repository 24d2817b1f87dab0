import type { StorageCleanupRepository, StorageLeftover } from '../db/storage-cleanup-repository.ts';
import type { UploadKey } from '../domain/upload-key.ts';
import { isVodError } from '../errors/vod-error.ts';
import type { Logger } from '../logging/logger.ts';
import type { PipelineDependencies } from '../pipeline/upload-pipeline.ts';
import type { ObjectStore } from '../storage/object-store.ts';

export interface StorageCleanerDependencies {
  readonly queue: StorageCleanupRepository;
  readonly pipeline: Pick<PipelineDependencies, 'openObjectStore' | 'fallbackCredentials'>;
  readonly logger: Logger;
}

export interface CleanupReport {
  readonly removed: number;
  readonly failed: number;
}

const BATCH = 50;

/**
 * Removes from storage what uploads stored but never committed: aborts the open multipart upload,
 * then deletes the object, with the permanent key (an upload's temporary key may have expired).
 * Best effort: what fails stays queued and is retried with backoff by the next pass, on any instance.
 */
export class StorageCleaner {
  constructor(private readonly deps: StorageCleanerDependencies) {}

  /** Works through what is due (of one upload, when given) until nothing due is left. */
  async run(upload?: UploadKey): Promise<CleanupReport> {
    let removed = 0;
    let failed = 0;
    for (;;) {
      const batch = await this.deps.queue.takeDue(BATCH, upload);
      if (batch.length === 0) break;
      for (const leftover of batch) {
        if (await this.remove(leftover)) removed += 1;
        else failed += 1;
      }
      if (batch.length < BATCH) break;
    }
    if (removed + failed > 0) this.deps.logger.info({ removed, failed, uploadId: upload?.id }, 'storage cleanup');
    return { removed, failed };
  }

  /**
   * For an upload that goes on (paused): aborts the multipart uploads open on its keys that it never
   * recorded (created just before a crash, their ids lost), keeping the one it did. Best effort: what
   * is left is found again when the upload ends without a commit.
   */
  async abortUnrecordedMultiparts(upload: UploadKey): Promise<number> {
    let aborted = 0;
    for (const file of await this.deps.queue.unsureMultiparts(upload)) {
      const store = this.#storeFor(file.bucket, file.bucketRegion);
      try {
        for (const uploadId of await store.listMultipartUploads({ key: file.storageKey })) {
          if (uploadId === file.keep) continue;
          await ignoreNotFound(store.abortMultipartUpload({ key: file.storageKey, uploadId }));
          aborted += 1;
        }
      } catch (error) {
        this.deps.logger.warn({ err: error, uploadId: upload.id, key: file.storageKey }, 'could not look for unrecorded multipart uploads');
      }
    }
    return aborted;
  }

  /** The bucket with the permanent key (an upload's temporary key may have expired). */
  #storeFor(bucket: string, region: string): ObjectStore {
    return this.deps.pipeline.openObjectStore({ bucket, region, credentials: this.deps.pipeline.fallbackCredentials });
  }

  private async remove(leftover: StorageLeftover): Promise<boolean> {
    const store = this.#storeFor(leftover.bucket, leftover.bucketRegion);
    try {
      const open = new Set<string>(leftover.multipartUploadId === null ? [] : [leftover.multipartUploadId]);
      // Written ahead of CreateMultipartUpload: an upload whose id never reached the database is found by listing.
      if (leftover.listMultipartUploads) for (const uploadId of await store.listMultipartUploads({ key: leftover.storageKey })) open.add(uploadId);
      for (const uploadId of open) await ignoreNotFound(store.abortMultipartUpload({ key: leftover.storageKey, uploadId }));
      if (leftover.multipartUploadId !== null || leftover.listMultipartUploads) await this.deps.queue.multipartClosed(leftover.id);
      await store.deleteObject({ key: leftover.storageKey });
      await this.deps.queue.done(leftover.id);
      return true;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.deps.logger.warn(
        { err: error, uploadId: leftover.uploadId, key: leftover.storageKey, attempts: leftover.attempts },
        'could not remove an uncommitted object from storage; will retry',
      );
      await this.deps.queue.failed(leftover.id, message).catch(() => undefined);
      return false;
    }
  }
}

/** Aborting a multipart upload storage no longer knows is done already. */
async function ignoreNotFound(call: Promise<void>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (isVodError(error) && error.code === 'ResourceNotFound') return;
    throw error;
  }
}
