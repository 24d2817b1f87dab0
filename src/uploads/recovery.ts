import type { UploadRepository } from '../db/upload-repository.ts';
import type { UploadWriter } from '../db/upload-writer.ts';
import type { Logger } from '../logging/logger.ts';
import type { PipelineDependencies } from '../pipeline/upload-pipeline.ts';
import { publishSnapshot, type UploadPubSub } from './upload-events.ts';
import { isResumable, pauseOrFail } from './interruption.ts';

export interface RecoveryDependencies {
  readonly reader: UploadRepository;
  readonly writer: UploadWriter;
  readonly pipeline: Pick<PipelineDependencies, 'openObjectStore' | 'fallbackCredentials'>;
  readonly pubsub: UploadPubSub;
  readonly logger: Logger;
  /** RESUME_TTL in ms: a resumable upload is PAUSED instead of failed (0: every one fails). */
  readonly resumeTtlMs: number;
}

export interface RecoveryReport {
  readonly interrupted: number;
  readonly paused: number;
  readonly abortedMultiparts: number;
  readonly failedAborts: number;
}

/**
 * Run at start-up: whatever this instance left in flight when it stopped cannot go on here. A
 * resumable one (see pauseOrFail: a plain media file past ApplyUpload, RESUME_TTL > 0) becomes
 * PAUSED at its last recorded part, its multipart upload kept for resumeUpload. Every other one
 * becomes FAILED (Interrupted) and its open multipart uploads are aborted (with the permanent key:
 * the temporary one may have expired). An abort that fails stays recorded for the next start.
 */
export async function recoverInterruptedUploads(instanceId: string, deps: RecoveryDependencies): Promise<RecoveryReport> {
  let interrupted = 0;
  let paused = 0;
  let abortedMultiparts = 0;
  let failedAborts = 0;
  for (const found of await deps.writer.findInFlight(instanceId)) {
    // Written back by its key alone: the other fields are facts, not conditions of the updates.
    const upload = { tenantId: found.tenantId, id: found.id, storageBucket: found.storageBucket, bucketRegion: found.bucketRegion };
    // A plain media upload with its session keeps its multipart upload and the parts recorded: PAUSED.
    const decision = pauseOrFail({ resumeTtlMs: deps.resumeTtlMs, resumable: isResumable(found) });
    if (decision.status === 'PAUSED') {
      const offset = await deps.writer.markPaused(upload, {
        resumableUntil: decision.resumableUntil,
        error: { code: 'Interrupted', message: 'The service stopped while this upload was running; resume it.' },
        counters: { bytesReceived: 0, bytesUploaded: 0, bytesTotal: found.bytesTotal },
      });
      if (offset !== undefined) {
        paused += 1;
        const record = await deps.reader.find(upload.tenantId, upload.id);
        if (record !== undefined) publishSnapshot(deps.pubsub, record);
        continue;
      }
    }
    for (const open of await deps.writer.openMultiparts(upload)) {
      if (upload.storageBucket === null || upload.bucketRegion === null) continue;
      try {
        const store = deps.pipeline.openObjectStore({
          bucket: upload.storageBucket,
          region: upload.bucketRegion,
          credentials: deps.pipeline.fallbackCredentials,
        });
        await store.abortMultipartUpload({ key: open.storageKey, uploadId: open.multipartUploadId });
        await deps.writer.recordMultipartClosed(upload, open);
        abortedMultiparts += 1;
      } catch (error) {
        failedAborts += 1;
        deps.logger.warn({ err: error, uploadId: upload.id, key: open.storageKey }, 'could not abort an interrupted multipart upload');
      }
    }
    const ended = await deps.writer.markEnded({ tenantId: upload.tenantId, id: upload.id }, 'FAILED', {
      code: 'Interrupted',
      message: 'The service stopped while this upload was running.',
    });
    if (ended) {
      interrupted += 1;
      const record = await deps.reader.find(upload.tenantId, upload.id);
      if (record !== undefined) publishSnapshot(deps.pubsub, record);
    }
  }
  if (interrupted + paused > 0) {
    deps.logger.warn({ interrupted, paused, abortedMultiparts, failedAborts }, 'recovered interrupted uploads');
  }
  return { interrupted, paused, abortedMultiparts, failedAborts };
}
