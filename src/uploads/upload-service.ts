import { randomUUID } from 'node:crypto';
import type { UploadRepository } from '../db/upload-repository.ts';
import { isUuid } from '../db/upload-repository.ts';
import type { ByteCounters, NewUploadFields, UploadKey, UploadWriter } from '../db/upload-writer.ts';
import { VodError, toVodError } from '../errors/vod-error.ts';
import type { Logger } from '../logging/logger.ts';
import type { UploadMetrics } from '../metrics/upload-metrics.ts';
import type { UploadProgress } from '../pipeline/progress.ts';
import {
  coverComesLate,
  uploadMedia,
  type MediaUploadFields,
  type MediaUploadResult,
  type PipelineDependencies,
} from '../pipeline/upload-pipeline.ts';
import { normalizeUploadRequest, type UploadRequest } from '../pipeline/upload-request.ts';
import { arrangeSources, filesOf, type IncomingFile, type IncomingFiles } from './incoming-files.ts';
import { fromSnapshot, publishSnapshot, topicKey, type UploadPubSub } from './upload-events.ts';
import { TERMINAL_STATUSES, type UploadRecord } from '../domain/upload-record.ts';
import { UploadTracker } from './upload-tracker.ts';

export interface UploadServiceDependencies {
  readonly reader: UploadRepository;
  readonly writer: UploadWriter;
  readonly pubsub: UploadPubSub;
  readonly pipeline: PipelineDependencies;
  readonly metrics: UploadMetrics;
  readonly logger: Logger;
  /** Names this process on the records it runs, so its restart can clean them up. */
  readonly instanceId: string;
  readonly defaultRegion: string;
  readonly maxFileBytes: number;
}

export interface UploadMediaRequest extends IncomingFiles {
  readonly tenantId: string;
  /** Client-chosen UUID (idempotency key); generated when absent. */
  readonly id?: string | undefined;
  readonly fields: Omit<MediaUploadFields, 'region'> & { readonly region?: string | undefined };
  readonly mediaSize?: number | undefined;
  /** Bytes of all the request's files, estimated from its Content-Length: the total when no mediaSize is given. */
  readonly requestFileBytes?: number | undefined;
  /** Aborts when the client goes away. */
  readonly signal: AbortSignal;
}

const MAX_BUFFERED_COVER_BYTES = 16 * 1024 * 1024;
/** How long cancelUpload waits for the upload to settle before answering with what it has. */
const CANCEL_SETTLE_MS = 30_000;

/** Runs uploads end to end: record, pipeline, progress, terminal status. */
export class UploadService {
  /** Uploads running in this process, by topic key: how to cancel each. */
  readonly #running = new Map<string, () => void>();

  constructor(private readonly deps: UploadServiceDependencies) {}

  /** Uploads and returns the SUCCEEDED record; throws a VodError (with uploadId where a record exists). */
  async upload(request: UploadMediaRequest): Promise<UploadRecord> {
    const id = request.id ?? randomUUID();
    if (!isUuid(id)) throw new VodError('InvalidParameter', 'The upload id must be a UUID.');
    const key: UploadKey = { tenantId: request.tenantId, id };
    const existing = await this.deps.reader.find(key.tenantId, id);
    if (existing?.status === 'SUCCEEDED') {
      await discardFiles(request);
      return existing;
    }
    // Aborting it also ends the reads of the request's file streams (see arrangeSources).
    const controller = new AbortController();
    const sources = await arrangeSources(request, {
      maxFileBytes: this.deps.maxFileBytes,
      maxBufferedCoverBytes: MAX_BUFFERED_COVER_BYTES,
      signal: controller.signal,
    });
    const given = request.fields;
    const fields = {
      ...given,
      region: given.region ?? this.deps.defaultRegion,
      // A cover sent first with no extension in its name: its magic bytes give the type.
      coverType: (given.coverType ?? '').trim() === '' ? (sources.coverTypeFromBytes ?? given.coverType) : given.coverType,
    };
    const late = sources.cover !== undefined && coverComesLate({ fields, cover: sources.cover });
    if (late && sources.coverFirst) {
      throw new VodError(
        'InvalidParameterValue.CoverType',
        'The cover type is unknown: the file name has no extension and the bytes are of no known image type; give coverType.',
      );
    }
    const normalized = normalizeUploadRequest({
      ...fields,
      mediaFileName: sources.media.fileName,
      coverFileName: sources.coverFileName,
      hasCover: sources.cover !== undefined && !late,
    });
    const claim = await this.deps.writer.claim(key, recordFields(normalized, request.mediaSize, request.requestFileBytes), this.deps.instanceId);
    if (claim.kind === 'succeeded-before') {
      await discardFiles(request);
      return this.mustFind(key);
    }
    return this.run(key, request, { ...sources, fields }, controller);
  }

  /** Cancels an in-flight upload (on whichever instance runs it) and returns its record once settled. */
  async cancel(tenantId: string, id: string): Promise<UploadRecord> {
    const record = await this.deps.reader.find(tenantId, id);
    if (record === undefined) throw new VodError('ResourceNotFound', `No upload with id ${id}.`);
    if (TERMINAL_STATUSES.has(record.status)) return record;
    const topic = topicKey(tenantId, id);
    const settled = this.waitForTerminal(topic);
    const cancelLocal = this.#running.get(topic);
    if (cancelLocal !== undefined) cancelLocal();
    else this.deps.pubsub.publish('uploadCancel', topic, { requestedAt: new Date().toISOString() });
    return (await settled) ?? this.mustFind({ tenantId, id });
  }

  private async run(
    key: UploadKey,
    request: UploadMediaRequest,
    upload: Awaited<ReturnType<typeof arrangeSources>> & { fields: MediaUploadFields },
    controller: AbortController,
  ): Promise<UploadRecord> {
    // Read before anything is registered: if the database fails here, nothing is left behind.
    const tracker = new UploadTracker(key, await this.mustFind(key), this.deps);
    const topic = topicKey(key.tenantId, key.id);
    let canceledByUser = false;
    const cancel = () => {
      canceledByUser = true;
      controller.abort(new VodError('RequestCanceled', 'The upload was canceled by cancelUpload.'));
    };
    const onClientGone = () => controller.abort(new VodError('RequestCanceled', 'The client went away during the upload.'));
    request.signal.addEventListener('abort', onClientGone, { once: true });
    const stopListeningForCancel = this.listenForCancel(topic, cancel);
    this.#running.set(topic, cancel);
    this.deps.metrics.uploadStarted();
    tracker.publish();
    try {
      const result = await uploadMedia(
        {
          fields: upload.fields,
          media: upload.media,
          cover: upload.cover,
          segments: upload.segments,
          mediaSizeHint: request.mediaSize,
        },
        this.deps.pipeline,
        {
          signal: controller.signal,
          hooks: {
            onApplied: (applied) => tracker.applied(applied),
            onProgress: (progress: UploadProgress) => tracker.progress(progress),
            onPartRetry: () => this.deps.metrics.partRetried(),
            onMultipartCreated: (file) =>
              this.deps.writer.recordMultipartStarted(key, {
                role: file.role,
                path: file.path,
                storageKey: file.key,
                multipartUploadId: file.uploadId,
              }),
            onMultipartFinished: (file, outcome) =>
              outcome === 'abort-failed' ? undefined : this.deps.writer.recordMultipartClosed(key, file),
            onCommitted: (commit) => tracker.committed(commit),
            onFileStored: (file) =>
              this.deps.writer.recordFileStored(key, {
                role: file.role,
                path: file.path,
                storageKey: file.key,
                bytes: file.bytes,
                sha256: file.sha256,
              }),
          },
        },
      );
      return await this.succeed(key, tracker, result);
    } catch (error) {
      throw await this.fail(key, tracker, toVodError(error), canceledByUser ? 'CANCELED' : 'FAILED');
    } finally {
      request.signal.removeEventListener('abort', onClientGone);
      stopListeningForCancel();
      this.#running.delete(topic);
    }
  }

  private async succeed(key: UploadKey, tracker: UploadTracker, result: MediaUploadResult): Promise<UploadRecord> {
    const bytes = result.files.reduce((sum, file) => sum + file.bytes, 0);
    const counters: ByteCounters = { bytesReceived: bytes, bytesUploaded: bytes, bytesTotal: bytes };
    await tracker.settle();
    await this.deps.writer.markSucceeded(key, {
      fileId: result.fileId,
      mediaUrl: result.mediaUrl,
      coverUrl: result.coverUrl ?? null,
      ...(result.coverType === undefined ? {} : { coverType: result.coverType }),
      requestId: result.requestId,
      counters,
    });
    const record = await this.mustFind(key);
    this.deps.metrics.uploadEnded('SUCCEEDED');
    publishSnapshot(this.deps.pubsub, record);
    return record;
  }

  private async fail(key: UploadKey, tracker: UploadTracker, error: VodError, status: 'FAILED' | 'CANCELED'): Promise<VodError> {
    try {
      await tracker.settle();
      await this.deps.writer.markEnded(key, status, { code: error.code, message: error.message, requestId: error.requestId }, tracker.counters());
      const record = await this.mustFind(key);
      publishSnapshot(this.deps.pubsub, record);
    } catch (writeError) {
      this.deps.logger.error({ err: writeError, uploadId: key.id }, 'could not record the end of a failed upload');
    }
    this.deps.metrics.uploadEnded(status, error.code);
    if (error.code === 'InternalError') this.deps.logger.error({ err: error.cause ?? error, uploadId: key.id }, 'upload failed');
    return error.withUploadId(key.id);
  }

  private listenForCancel(topic: string, cancel: () => void): () => void {
    const subscription = this.deps.pubsub.subscribe('uploadCancel', topic);
    const iterator = subscription[Symbol.asyncIterator]();
    iterator
      .next()
      .then((next) => {
        if (next.done !== true) cancel();
      })
      .catch(() => undefined);
    return () => {
      void iterator.return?.();
    };
  }

  private async waitForTerminal(topic: string): Promise<UploadRecord | undefined> {
    const subscription = this.deps.pubsub.subscribe('uploadProgress', topic);
    const timer = setTimeout(() => void subscription.return?.(), CANCEL_SETTLE_MS);
    try {
      for await (const snapshot of subscription) {
        if (TERMINAL_STATUSES.has(snapshot.status)) return fromSnapshot(snapshot);
      }
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  private async mustFind(key: UploadKey): Promise<UploadRecord> {
    const record = await this.deps.reader.find(key.tenantId, key.id);
    if (record === undefined) throw new VodError('InternalError', `Upload ${key.id} vanished.`);
    return record;
  }
}

/** What the PENDING record holds: the request as VOD will get it. */
function recordFields(request: UploadRequest, mediaSize: number | undefined, requestFileBytes: number | undefined): NewUploadFields {
  const { apply } = request;
  return {
    region: request.region,
    mediaName: apply.mediaName ?? '',
    mediaType: apply.mediaType,
    coverType: apply.coverType ?? null,
    procedure: apply.procedure ?? null,
    subAppId: apply.subAppId ?? null,
    classId: apply.classId ?? null,
    storageRegion: apply.storageRegion ?? null,
    expireTime: apply.expireTime === undefined ? null : new Date(apply.expireTime),
    sourceContext: apply.sourceContext ?? null,
    concurrency: request.concurrentUploadNumber ?? null,
    mediaSizeHint: mediaSize ?? null,
    bytesTotal: mediaSize ?? requestFileBytes ?? null,
  };
}

/**
 * A repeat of a finished upload reads (and drops) its files, so the request completes normally. All
 * are drained as they arrive, so their order in the body does not matter.
 */
async function discardFiles(files: IncomingFiles): Promise<void> {
  await Promise.all(
    filesOf(files).map(async (promise) => {
      const file: IncomingFile = await promise;
      const stream = file.createReadStream();
      stream.resume();
      await new Promise<void>((resolve, reject) => {
        stream.once('end', resolve);
        stream.once('error', reject);
      });
    }),
  );
}
