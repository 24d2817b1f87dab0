import type { Hash } from 'node:crypto';
import type { ByteCounters } from '../db/upload-writer.ts';
import type { UploadKey } from '../domain/upload-key.ts';
import type { VodError } from '../errors/vod-error.ts';
import type { MediaUploadResult } from '../pipeline/upload-pipeline.ts';
import type { UploadRecord } from '../domain/upload-record.ts';
import { pauseOrFail } from './interruption.ts';
import type { PausedDigests } from './paused-digests.ts';
import { mustFind, type UploadServiceDependencies } from './service-dependencies.ts';
import { publishSnapshot, topicKey } from './upload-events.ts';
import type { UploadTracker } from './upload-tracker.ts';

/**
 * How a run of an upload ends: SUCCEEDED, PAUSED at its last stored part boundary, or FAILED /
 * CANCELED with what it stored removed. Each records the end, tells the subscribers and the metrics.
 */
export class UploadEndings {
  constructor(
    private readonly deps: UploadServiceDependencies,
    /** SHA-256 states of uploads this process paused: a resume here continues them. */
    private readonly pausedDigests: PausedDigests,
  ) {}

  /** UPLOADING → PAUSED at the last part boundary stored; false when the upload had moved on. */
  async pause(
    key: UploadKey,
    tracker: UploadTracker,
    error: VodError,
    sha256At: (offset: number) => Hash | undefined = () => undefined,
  ): Promise<boolean> {
    const decision = pauseOrFail({ resumeTtlMs: this.deps.resumeTtlMs, resumable: true });
    if (decision.status !== 'PAUSED') return false;
    try {
      await tracker.settle();
      const offset = await this.deps.writer.markPaused(key, {
        resumableUntil: decision.resumableUntil,
        error: { code: error.code, message: error.message },
        counters: tracker.counters(),
      });
      if (offset === undefined) return false;
      const state = sha256At(offset);
      if (state !== undefined) this.pausedDigests.keep(topicKey(key.tenantId, key.id), offset, state, decision.resumableUntil);
      publishSnapshot(this.deps.pubsub, await mustFind(this.deps.reader, key));
      this.deps.metrics.uploadEnded('PAUSED', error.code);
      return true;
    } catch (writeError) {
      this.deps.logger.error({ err: writeError, uploadId: key.id }, 'could not pause an interrupted upload');
      return false;
    }
  }

  async succeed(key: UploadKey, tracker: UploadTracker, result: MediaUploadResult): Promise<UploadRecord> {
    const bytes = result.files.reduce((sum, file) => sum + file.bytes, 0);
    const counters: ByteCounters = { bytesReceived: bytes, bytesUploaded: bytes, bytesTotal: bytes };
    await tracker.settle();
    const record = await this.deps.writer.markSucceeded(key, {
      fileId: result.fileId,
      mediaUrl: result.mediaUrl,
      coverUrl: result.coverUrl ?? null,
      ...(result.coverType === undefined ? {} : { coverType: result.coverType }),
      requestId: result.requestId,
      counters,
    });
    this.deps.metrics.uploadEnded('SUCCEEDED');
    publishSnapshot(this.deps.pubsub, record);
    return record;
  }

  /** Records the failure, removes what was stored (unless told not to) and returns the error for the client. */
  async fail(
    key: UploadKey,
    tracker: UploadTracker,
    error: VodError,
    end: { readonly status: 'FAILED' | 'CANCELED'; readonly discardStorage: boolean },
  ): Promise<VodError> {
    const { status } = end;
    try {
      await tracker.settle().catch(() => undefined);
      await this.deps.writer.markEnded(
        key,
        status,
        { code: error.code, message: error.message, requestId: error.requestId },
        { counters: tracker.counters(), discardStorage: end.discardStorage },
      );
      const record = await mustFind(this.deps.reader, key);
      publishSnapshot(this.deps.pubsub, record);
      // Best effort, before the client hears of the failure; what fails here the sweeper retries.
      await this.deps.cleaner.run(key);
    } catch (writeError) {
      this.deps.logger.error({ err: writeError, uploadId: key.id }, 'could not record the end of a failed upload');
    }
    this.deps.metrics.uploadEnded(status, error.code);
    if (error.code === 'InternalError') this.deps.logger.error({ err: error.cause ?? error, uploadId: key.id }, 'upload failed');
    return error.withUploadId(key.id);
  }
}
