import { randomUUID } from 'node:crypto';
import type { UploadRepository } from '../db/upload-repository.ts';
import { isUuid } from '../db/upload-repository.ts';
import type { ByteCounters, NewUploadFields, UploadKey, UploadWriter } from '../db/upload-writer.ts';
import { cancellationError } from '../errors/cancellation.ts';
import { VodError, isVodError, toVodError } from '../errors/vod-error.ts';
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
import { checkUploadInput, normalizeUploadRequest, type UploadRequest } from '../pipeline/upload-request.ts';
import { arrangeSources, filesOf, type IncomingFile, type IncomingFiles } from './incoming-files.ts';
import { fromSnapshot, publishSnapshot, topicKey, type UploadPubSub } from './upload-events.ts';
import { TERMINAL_STATUSES, type UploadRecord } from '../domain/upload-record.ts';
import { UploadTracker } from './upload-tracker.ts';
import { interruptionOutcome, type InterruptionOutcome } from './interruption.ts';
import type { StorageCleaner } from './storage-cleaner.ts';

export interface UploadServiceDependencies {
  readonly reader: UploadRepository;
  readonly writer: UploadWriter;
  readonly pubsub: UploadPubSub;
  readonly pipeline: PipelineDependencies;
  readonly metrics: UploadMetrics;
  readonly logger: Logger;
  /** Removes what a failed upload stored (what it cannot remove stays queued for the sweeper). */
  readonly cleaner: StorageCleaner;
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
  /** Aborts when the client goes away, or with a VodError (e.g. RequestTimeout) when the server gives up on the request. */
  readonly signal: AbortSignal;
}

const MAX_BUFFERED_COVER_BYTES = 16 * 1024 * 1024;
/** How long cancelUpload waits for the upload to settle before answering with what it has. */
const CANCEL_SETTLE_MS = 30_000;
/** After the grace, how long interrupted uploads get to record their end and answer their clients. */
const INTERRUPT_SETTLE_MS = 15_000;

/** How one admitted upload is stopped: its abort controller, and why it was interrupted, if it was. */
interface RunControl {
  /** Aborting it also ends the reads of the request's file streams (see arrangeSources). */
  readonly controller: AbortController;
  interruption: InterruptionOutcome | undefined;
}

/** Runs uploads end to end: record, pipeline, progress, terminal status. */
export class UploadService {
  /** Uploads running in this process, by topic key: how to cancel each. */
  readonly #running = new Map<string, () => void>();
  /** Every admitted upload call, from its first line to its answer: what a shutdown waits for. */
  readonly #admitted = new Map<Promise<UploadRecord>, RunControl>();
  #accepting = true;

  constructor(private readonly deps: UploadServiceDependencies) {}

  /** Uploads and returns the SUCCEEDED record; throws a VodError (with uploadId where a record exists). */
  async upload(request: UploadMediaRequest): Promise<UploadRecord> {
    if (!this.#accepting) {
      // Nobody reads these files: their promises must not reject unhandled when the request ends.
      for (const file of filesOf(request)) file.catch(() => undefined);
      throw new VodError('ServiceUnavailable', 'This instance is shutting down and takes no new uploads; send the upload again.');
    }
    const control: RunControl = { controller: new AbortController(), interruption: undefined };
    const work = this.admitted(request, control).catch((error: unknown) => {
      // Interrupted before a record existed (still reading the first bytes): the answer says why.
      if (control.interruption !== undefined && !(isVodError(error) && error.uploadId !== undefined)) {
        throw control.interruption.reason;
      }
      throw error;
    });
    this.#admitted.set(work, control);
    try {
      return await work;
    } finally {
      this.#admitted.delete(work);
    }
  }

  /** Uploads admitted and not yet answered. */
  get inFlight(): number {
    return this.#admitted.size;
  }

  /**
   * Graceful shutdown: takes no new upload from now on, gives those in flight up to `graceMs` to
   * finish, then interrupts the rest as `interruptionOutcome('shutdown')` decides (each records its
   * end, tells its subscribers, answers its client and removes what it stored). Resolves once every
   * admitted upload has answered (or a bounded wait for that ran out).
   */
  async drain(graceMs: number, options: { readonly hurry?: AbortSignal } = {}): Promise<{ finished: number; interrupted: number }> {
    this.#accepting = false;
    const initial = this.#admitted.size;
    if (initial > 0) await settledWithin([...this.#admitted.keys()], graceMs, options.hurry);
    const outcome = interruptionOutcome('shutdown');
    const remaining = [...this.#admitted.entries()];
    for (const [, control] of remaining) {
      control.interruption ??= outcome;
      control.controller.abort(outcome.reason);
    }
    if (remaining.length > 0) await settledWithin(remaining.map(([work]) => work), INTERRUPT_SETTLE_MS);
    return { finished: initial - remaining.length, interrupted: remaining.length };
  }

  private async admitted(request: UploadMediaRequest, control: RunControl): Promise<UploadRecord> {
    const id = request.id ?? randomUUID();
    if (!isUuid(id)) throw new VodError('InvalidParameter', 'The upload id must be a UUID.');
    // Every field is checked before a file is waited for, and before anything is written or stored.
    checkUploadInput(
      { ...request.fields, region: request.fields.region ?? this.deps.defaultRegion, mediaSize: request.mediaSize, segmentPaths: request.segments?.map((segment) => segment.path) },
      { maxFileBytes: this.deps.maxFileBytes },
    );
    const key: UploadKey = { tenantId: request.tenantId, id };
    const existing = await this.deps.reader.find(key.tenantId, id);
    if (existing?.status === 'SUCCEEDED') {
      await discardFiles(request);
      return existing;
    }
    const { controller } = control;
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
    return this.run(key, request, { ...sources, fields }, control);
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
    control: RunControl,
  ): Promise<UploadRecord> {
    const { controller } = control;
    // Read before anything is registered: if the database fails here, nothing is left behind.
    const tracker = new UploadTracker(key, await this.mustFind(key), this.deps);
    const topic = topicKey(key.tenantId, key.id);
    let canceledByUser = false;
    const cancel = () => {
      canceledByUser = true;
      controller.abort(new VodError('RequestCanceled', 'The upload was canceled by cancelUpload.'));
    };
    // The request's own reason (a timeout) when it has one; otherwise the client went away.
    const onClientGone = () => controller.abort(cancellationError(request.signal));
    request.signal.addEventListener('abort', onClientGone, { once: true });
    if (request.signal.aborted) onClientGone();
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
            onObjectStarting: (file) => this.deps.writer.recordObjectStarting(key, { role: file.role, path: file.path, storageKey: file.key }),
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
      const status = control.interruption?.status ?? (canceledByUser ? 'CANCELED' : 'FAILED');
      throw await this.fail(key, tracker, toVodError(error), { status, discardStorage: control.interruption?.discardStorage ?? true });
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

  private async fail(
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
      const record = await this.mustFind(key);
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

/** Resolves when every promise has settled, or after `ms` (or when `hurry` aborts), whichever is first. */
async function settledWithin(work: ReadonlyArray<Promise<unknown>>, ms: number, hurry?: AbortSignal): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let onHurry: (() => void) | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    onHurry = resolve;
    hurry?.addEventListener('abort', onHurry, { once: true });
  });
  try {
    await Promise.race([Promise.allSettled(work), deadline]);
  } finally {
    clearTimeout(timer);
    if (onHurry !== undefined) hurry?.removeEventListener('abort', onHurry);
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
