import type { UploadKey } from '../domain/upload-key.ts';
import { VodError, toVodError } from '../errors/vod-error.ts';
import { resumeMediaUpload } from '../pipeline/resume-upload.ts';
import { resumeStorageKey } from './resume-storage.ts';
import { withoutLeadingSlash } from '../pipeline/upload-pipeline.ts';
import type { UploadRecord } from '../domain/upload-record.ts';
import { arrangeSources, type IncomingFiles } from './incoming-files.ts';
import { pausedByShutdown } from './interruption.ts';
import type { PausedDigests } from './paused-digests.ts';
import type { PipelineRun, RunControl } from './run-control.ts';
import { MAX_BUFFERED_COVER_BYTES, mustFind, type UploadServiceDependencies } from './service-dependencies.ts';
import type { UploadEndings } from './upload-endings.ts';
import { topicKey } from './upload-events.ts';
import type { UploadRunner } from './upload-runner.ts';
import { UploadTracker } from './upload-tracker.ts';

/** resumeUpload: the rest of a PAUSED upload's media, from `offset` on, and the cover again. */
export interface ResumeMediaRequest extends Pick<IncomingFiles, 'media' | 'cover'> {
  readonly tenantId: string;
  readonly id: string;
  /** Must equal the record's resumableOffset. */
  readonly offset: number;
  readonly signal: AbortSignal;
}

/**
 * resumeUpload once admitted: claims the PAUSED upload atomically at the offset it paused at, then
 * uploads the rest of the media and the cover and commits. A wrong offset, an upload that is not
 * PAUSED or whose window ended is refused with its own code, and nothing changes.
 */
export class ResumeRun {
  constructor(
    private readonly deps: UploadServiceDependencies,
    private readonly runner: UploadRunner,
    private readonly endings: UploadEndings,
    private readonly pausedDigests: PausedDigests,
  ) {}

  async start(request: ResumeMediaRequest, control: RunControl): Promise<UploadRecord> {
    const key: UploadKey = { tenantId: request.tenantId, id: request.id };
    const record = await this.deps.reader.find(key.tenantId, key.id);
    if (record === undefined) throw new VodError('ResourceNotFound', `No upload with id ${key.id}.`);
    if (!Number.isSafeInteger(request.offset) || request.offset < 0) {
      throw new VodError('InvalidParameter', `offset must be a whole number of bytes, got ${String(request.offset)}.`, { uploadId: key.id });
    }
    if (record.status === 'PAUSED' && record.coverType !== null && request.cover === undefined) {
      throw new VodError('InvalidParameter', 'This upload has a cover: send it again with the resume.', { uploadId: key.id });
    }
    if (record.status === 'PAUSED' && record.coverType === null && request.cover !== undefined) {
      throw new VodError('InvalidParameter', 'This upload was started without a cover: a resume cannot add one; resume without it.', {
        uploadId: key.id,
      });
    }
    const now = new Date();
    if (!(await this.deps.writer.claimResume(key, request.offset, this.deps.instanceId, now))) {
      throw await this.resumeRefusal(key, request.offset, now);
    }
    // Ours now: from here every failure ends through run() (paused again, failed or canceled).
    const { controllers } = control;
    let state;
    let sources;
    let storageCredentials;
    try {
      state = await this.deps.writer.resumeState(key);
      if (state === undefined) throw new VodError('InternalError', `Upload ${key.id} has no VOD session to resume.`);
      storageCredentials = await resumeStorageKey(key.id, state, this.deps);
      sources = await arrangeSources(request, {
        maxFileBytes: this.deps.maxFileBytes,
        maxBufferedCoverBytes: MAX_BUFFERED_COVER_BYTES,
        signal: controllers.sources.signal,
      });
    } catch (error) {
      // Before any byte moved: the upload goes back to PAUSED at the same offset, whatever went
      // wrong with this request (the client went away, a malformed body, a shutdown), so one bad
      // resume cannot throw away what storage holds. Without a VOD session to resume, it fails and
      // its kept multipart upload is aborted.
      const failure = toVodError(error);
      const tracker = new UploadTracker(key, await mustFind(this.deps.reader, key), this.deps);
      const interruptedByShutdown = control.interruption !== undefined;
      const paused =
        state !== undefined && (await this.endings.pause(key, tracker, interruptedByShutdown ? pausedByShutdown() : failure));
      if (paused && interruptedByShutdown) throw pausedByShutdown().withUploadId(key.id);
      if (!paused) {
        await this.deps.writer.markEnded(key, 'FAILED', { code: failure.code, message: failure.message });
        await this.deps.cleaner.run(key);
      }
      throw failure.withUploadId(key.id);
    }
    const resumeState = state;
    const { media, cover } = sources;
    const kept = resumeState.parts;
    const lastKept = kept.at(-1);
    const sha256State = this.pausedDigests.take(topicKey(key.tenantId, key.id), request.offset);
    if (sha256State !== undefined) control.sha256Start = { offset: request.offset, state: sha256State };
    const parts =
      sha256State !== undefined && lastKept !== undefined && lastKept.endOffset === request.offset
        ? [...kept.slice(0, -1), { ...lastKept, sha256: sha256State }]
        : kept;
    const coverPath = resumeState.coverStoragePath;
    const pipelineRun: PipelineRun = ({ signal, hooks }) =>
      resumeMediaUpload(
        {
          region: resumeState.region,
          subAppId: resumeState.subAppId ?? undefined,
          concurrentUploadNumber: resumeState.concurrency ?? undefined,
          vodSessionKey: resumeState.vodSessionKey,
          storageBucket: resumeState.storageBucket,
          storageRegion: resumeState.bucketRegion,
          storageCredentials,
          media: {
            path: resumeState.mediaPath ?? media.fileName ?? 'media',
            key: withoutLeadingSlash(resumeState.mediaStoragePath),
            uploadId: resumeState.multipartUploadId ?? undefined,
            parts,
            rest: media,
            sizeHint: resumeState.mediaSizeHint ?? undefined,
          },
          cover:
            cover === undefined || coverPath === null
              ? undefined
              : { path: cover.fileName ?? sources.coverFileName ?? 'cover', key: withoutLeadingSlash(coverPath), source: cover },
        },
        this.deps.pipeline,
        { signal, hooks },
      );
    return this.runner.run(key, control, pipelineRun, { clientSignal: request.signal });
  }

  /** Why a resume could not claim the upload, as the error the client gets. */
  private async resumeRefusal(key: UploadKey, offset: number, now: Date): Promise<VodError> {
    const record = await this.deps.reader.find(key.tenantId, key.id);
    const uploadId = key.id;
    if (record === undefined) return new VodError('ResourceNotFound', `No upload with id ${key.id}.`);
    if (record.status === 'PAUSED') {
      if (record.resumableUntil !== null && record.resumableUntil <= now) {
        return new VodError('ResumeExpired', `The upload could be resumed until ${record.resumableUntil.toISOString()}.`, { uploadId });
      }
      if (record.resumableOffset !== offset) {
        return new VodError(
          'ResumeOffsetMismatch',
          `The upload paused at byte ${String(record.resumableOffset)}: resume with that offset, not ${offset}.`,
          { uploadId, resumableOffset: record.resumableOffset ?? undefined },
        );
      }
    }
    if (record.status === 'FAILED' && record.error?.code === 'ResumeExpired') {
      return new VodError('ResumeExpired', 'The upload was not resumed in time; its stored parts were discarded.', { uploadId });
    }
    return new VodError('UploadNotPaused', `The upload is ${record.status}: only a PAUSED upload can be resumed.`, { uploadId });
  }
}
