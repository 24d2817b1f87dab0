import { randomUUID, type Hash } from 'node:crypto';
import type { UploadRepository } from '../db/upload-repository.ts';
import { isUuid } from '../db/upload-repository.ts';
import type { ByteCounters, NewUploadFields, UploadKey, UploadWriter } from '../db/upload-writer.ts';
import { cancellationError, childAbortController } from '../errors/cancellation.ts';
import { VodError, isVodError, toVodError } from '../errors/vod-error.ts';
import type { Logger } from '../logging/logger.ts';
import type { UploadMetrics } from '../metrics/upload-metrics.ts';
import type { UploadProgress } from '../pipeline/progress.ts';
import { resumeMediaUpload } from '../pipeline/resume-upload.ts';
import { resumeStorageKey } from './resume-storage.ts';
import type { StoredPart } from '../pipeline/object-upload.ts';
import {
  coverComesLate,
  uploadMedia,
  withoutLeadingSlash,
  type MediaUploadFields,
  type MediaUploadResult,
  type PipelineDependencies,
  type UploadHooks,
} from '../pipeline/upload-pipeline.ts';
import { checkUploadInput, normalizeUploadRequest, type UploadRequest } from '../pipeline/upload-request.ts';
import { arrangeSources, filesOf, type IncomingFile, type IncomingFiles } from './incoming-files.ts';
import { fromSnapshot, publishSnapshot, topicKey, type UploadPubSub } from './upload-events.ts';
import { TERMINAL_STATUSES, type UploadRecord } from '../domain/upload-record.ts';
import { UploadTracker } from './upload-tracker.ts';
import { interruptionOutcome, isResumable, pauseOrFail, pausedByShutdown, type InterruptionOutcome } from './interruption.ts';
import type { StorageCleaner } from './storage-cleaner.ts';
import { PausedDigests } from './paused-digests.ts';
import { PartRecorder } from './part-recorder.ts';

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
  /** RESUME_TTL in ms: how long an upload whose client went away stays PAUSED; 0: it fails at once. */
  readonly resumeTtlMs: number;
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

/** resumeUpload: the rest of a PAUSED upload's media, from `offset` on, and the cover again. */
export interface ResumeMediaRequest extends Pick<IncomingFiles, 'media' | 'cover'> {
  readonly tenantId: string;
  readonly id: string;
  /** Must equal the record's resumableOffset. */
  readonly offset: number;
  readonly signal: AbortSignal;
}

/** How one run of the pipeline is started: a new upload, or the resume of a paused one. */
type PipelineRun = (options: { signal: AbortSignal; hooks: UploadHooks }) => Promise<MediaUploadResult>;

/** Expired paused uploads handled per sweep (the next sweep takes the rest). */
const SWEEP_BATCH = 100;

const MAX_BUFFERED_COVER_BYTES = 16 * 1024 * 1024;
/** How long cancelUpload waits for the upload to settle before answering with what it has. */
const CANCEL_SETTLE_MS = 30_000;
/** After the grace, how long interrupted uploads get to record their end and answer their clients. */
const INTERRUPT_SETTLE_MS = 15_000;
/** How long a stored part may wait to be recorded (see PartRecorder). */
const PART_RECORD_INTERVAL_MS = 250;

/** How one admitted upload is stopped: its abort controller, and why it was interrupted, if it was. */
interface RunControl {
  /** Aborting `upload` also ends the reads of the request's file streams (see arrangeSources). */
  readonly controllers: UploadControllers;
  interruption: InterruptionOutcome | undefined;
  /**
   * How a shutdown stops this call: the whole upload until its run starts; once running, only its
   * client's streams when it can pause (parts in flight finish and are kept), else the whole upload.
   */
  interrupt: (outcome: InterruptionOutcome) => void;
  /** A resume's SHA-256 state at its offset, kept again should the resume pause right there. */
  sha256Start?: { readonly offset: number; readonly state: Hash } | undefined;
}

function newRunControl(): RunControl {
  const control: RunControl = {
    controllers: uploadControllers(),
    interruption: undefined,
    interrupt: (outcome) => {
      control.interruption ??= outcome;
      control.controllers.upload.abort(outcome.reason);
    },
  };
  return control;
}

/** Runs uploads end to end: record, pipeline, progress, terminal status. */
export class UploadService {
  /** Uploads running in this process, by topic key: how to cancel each. */
  readonly #running = new Map<string, () => void>();
  /** Every admitted upload call, from its first line to its answer: what a shutdown waits for. */
  readonly #admitted = new Map<Promise<UploadRecord>, RunControl>();
  #accepting = true;
  /** SHA-256 states of uploads this process paused: a resume here continues them (no read-back). */
  readonly #pausedDigests = new PausedDigests();

  constructor(private readonly deps: UploadServiceDependencies) {}

  /** Uploads and returns the SUCCEEDED record; throws a VodError (with uploadId where a record exists). */
  async upload(request: UploadMediaRequest): Promise<UploadRecord> {
    return this.admit(request, (control) => this.admitted(request, control));
  }

  /** Runs an upload or a resume as admitted work, which a shutdown waits for (and interrupts). */
  private async admit(request: IncomingFiles, start: (control: RunControl) => Promise<UploadRecord>): Promise<UploadRecord> {
    if (!this.#accepting) {
      // Nobody reads these files: their promises must not reject unhandled when the request ends.
      for (const file of filesOf(request)) file.catch(() => undefined);
      throw new VodError('ServiceUnavailable', 'This instance is shutting down and takes no new uploads; send the upload again.');
    }
    const control = newRunControl();
    const work = start(control).catch((error: unknown) => {
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
   * finish, then interrupts the rest: one that can be resumed is PAUSED (its parts in flight finish
   * first; its client is answered `Interrupted` and resumes elsewhere), the others end as
   * `interruptionOutcome('shutdown')` decides (each records its
   * end, tells its subscribers, answers its client and removes what it stored). Resolves once every
   * admitted upload has answered (or a bounded wait for that ran out).
   */
  async drain(graceMs: number, options: { readonly hurry?: AbortSignal } = {}): Promise<{ finished: number; interrupted: number }> {
    this.#accepting = false;
    const initial = this.#admitted.size;
    if (initial > 0) await settledWithin([...this.#admitted.keys()], graceMs, options.hurry);
    const outcome = interruptionOutcome('shutdown');
    const remaining = [...this.#admitted.entries()];
    for (const [, control] of remaining) control.interrupt(outcome);
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
    const { controllers } = control;
    const sources = await arrangeSources(request, {
      maxFileBytes: this.deps.maxFileBytes,
      maxBufferedCoverBytes: MAX_BUFFERED_COVER_BYTES,
      signal: controllers.sources.signal,
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
    const pipelineRun: PipelineRun = ({ signal, hooks }) =>
      uploadMedia(
        { fields, media: sources.media, cover: sources.cover, segments: sources.segments, mediaSizeHint: request.mediaSize },
        this.deps.pipeline,
        { signal, hooks },
      );
    return this.run(key, request.signal, control, pipelineRun);
  }

  /**
   * Continues a PAUSED upload (on any instance): claims it atomically at the offset it paused at,
   * then uploads the rest of the media and the cover and commits. A wrong offset, an upload that is
   * not PAUSED or whose window ended is refused with its own code, and nothing changes.
   */
  async resume(request: ResumeMediaRequest): Promise<UploadRecord> {
    return this.admit(request, (control) => this.resumeAdmitted(request, control));
  }

  private async resumeAdmitted(request: ResumeMediaRequest, control: RunControl): Promise<UploadRecord> {
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
      const tracker = new UploadTracker(key, await this.mustFind(key), this.deps);
      const interruptedByShutdown = control.interruption !== undefined;
      const paused =
        state !== undefined && (await this.pause(key, tracker, interruptedByShutdown ? pausedByShutdown() : failure));
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
    const sha256State = this.#pausedDigests.take(topicKey(key.tenantId, key.id), request.offset);
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
    return this.run(key, request.signal, control, pipelineRun);
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

  /**
   * Fails every PAUSED upload whose window ended (ResumeExpired) and aborts its kept multipart
   * upload. Safe on every instance at once: each upload is moved by one conditional update.
   */
  async sweepExpiredPauses(now: Date = new Date()): Promise<number> {
    let swept = 0;
    for (const upload of await this.deps.writer.findExpiredPauses(now, SWEEP_BATCH)) {
      const ended = await this.deps.writer.endPaused(
        upload,
        'FAILED',
        { code: 'ResumeExpired', message: 'The upload was not resumed within RESUME_TTL; its stored parts were discarded.' },
        now,
      );
      if (!ended) continue;
      swept += 1;
      await this.deps.cleaner.run({ tenantId: upload.tenantId, id: upload.id });
      const record = await this.deps.reader.find(upload.tenantId, upload.id);
      if (record !== undefined) publishSnapshot(this.deps.pubsub, record);
      this.deps.metrics.uploadEnded('FAILED', 'ResumeExpired');
    }
    return swept;
  }

  /** Cancels an in-flight upload (on whichever instance runs it) and returns its record once settled. */
  async cancel(tenantId: string, id: string): Promise<UploadRecord> {
    const record = await this.deps.reader.find(tenantId, id);
    if (record === undefined) throw new VodError('ResourceNotFound', `No upload with id ${id}.`);
    if (TERMINAL_STATUSES.has(record.status)) return record;
    if (record.status === 'PAUSED') {
      const key = { tenantId, id };
      const ended = await this.deps.writer.endPaused(key, 'CANCELED', {
        code: 'RequestCanceled',
        message: 'The paused upload was canceled by cancelUpload.',
      });
      // Not PAUSED any more: a resume claimed it in between; cancel that run below.
      if (ended) {
        await this.deps.cleaner.run(key);
        const canceled = await this.mustFind(key);
        publishSnapshot(this.deps.pubsub, canceled);
        this.deps.metrics.uploadEnded('CANCELED', 'RequestCanceled');
        return canceled;
      }
    }
    const topic = topicKey(tenantId, id);
    const settled = this.waitForTerminal(topic);
    const cancelLocal = this.#running.get(topic);
    if (cancelLocal !== undefined) cancelLocal();
    else this.deps.pubsub.publish('uploadCancel', topic, { requestedAt: new Date().toISOString() });
    return (await settled) ?? this.mustFind({ tenantId, id });
  }

  private async run(key: UploadKey, clientSignal: AbortSignal, control: RunControl, pipelineRun: PipelineRun): Promise<UploadRecord> {
    const { controllers } = control;
    const controller = controllers.upload;
    // Read before anything is registered: if the database fails here, nothing is left behind.
    const initial = await this.mustFind(key);
    const tracker = new UploadTracker(key, initial, this.deps);
    const topic = topicKey(key.tenantId, key.id);
    const resumeEnabled = this.deps.resumeTtlMs > 0;
    let canceledByUser = false;
    let clientGone = false;
    let mediaStored = false;
    const cancel = () => {
      canceledByUser = true;
      controller.abort(new VodError('RequestCanceled', 'The upload was canceled by cancelUpload.'));
    };
    // With resuming on, only the client's streams end: parts in flight finish and are kept. The
    // request's own reason (a timeout) when it has one; otherwise the client went away.
    const onClientGone = () => {
      clientGone = true;
      if (resumeEnabled) controllers.sources.abort(cancellationError(clientSignal));
      else controller.abort(cancellationError(clientSignal));
    };
    // Paused rather than failed when the client went away or this instance shuts down under it.
    const resumable = () =>
      pauseOrFail({
        resumeTtlMs: this.deps.resumeTtlMs,
        resumable:
          (clientGone || control.interruption !== undefined) &&
          !canceledByUser &&
          isResumable({ status: tracker.status, mediaType: initial.mediaType, mediaStored }),
      }).status === 'PAUSED';
    control.interrupt = (outcome) => {
      control.interruption ??= outcome;
      if (resumable()) controllers.sources.abort(outcome.reason);
      else controller.abort(outcome.reason);
    };
    // Parts are recorded off the pipeline's path, in batches; a pause waits for them.
    const partRecords = new PartRecorder<StoredPart>((parts) => this.deps.writer.recordParts(key, parts), {
      intervalMs: PART_RECORD_INTERVAL_MS,
      onError: (error) => this.deps.logger.warn({ err: error, uploadId: key.id }, 'could not record parts'),
    });
    // The media's SHA-256 state at the end of each part stored (by end offset), for the pause's offset.
    const start = control.sha256Start;
    const sha256AtPartEnds = new Map<number, Hash>(start === undefined ? [] : [[start.offset, start.state]]);
    clientSignal.addEventListener('abort', onClientGone, { once: true });
    if (clientSignal.aborted) onClientGone();
    const stopListeningForCancel = this.listenForCancel(topic, cancel);
    this.#running.set(topic, cancel);
    this.deps.metrics.uploadStarted();
    tracker.publish();
    try {
      const result = await pipelineRun({
        signal: controller.signal,
        hooks: {
          onApplied: (applied) => tracker.applied(applied),
          onObjectStarting: (file) => this.deps.writer.recordObjectStarting(key, { role: file.role, path: file.path, storageKey: file.key }),
          onCommitted: (commit) => tracker.committed(commit),
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
            outcome === 'abort-failed' || outcome === 'kept' ? undefined : this.deps.writer.recordMultipartClosed(key, file),
          onFileStored: (file) => {
            if (file.role === 'MEDIA') mediaStored = true;
            return this.deps.writer.recordFileStored(key, {
              role: file.role,
              path: file.path,
              storageKey: file.key,
              bytes: file.bytes,
              sha256: file.sha256,
            });
          },
          onMediaPartStored: resumeEnabled
            ? (part) => {
                if (part.sha256 !== undefined) keepRecent(sha256AtPartEnds, part.endOffset, part.sha256);
                partRecords.add(part);
              }
            : undefined,
          keepMediaOpenOnFailure: resumeEnabled ? resumable : undefined,
        },
      });
      return await this.succeed(key, tracker, result);
    } catch (error) {
      const failure = toVodError(error);
      if (resumable()) {
        await partRecords.flush();
        const reason = control.interruption === undefined ? failure : pausedByShutdown();
        const paused = await this.pause(key, tracker, reason, (offset) => sha256AtPartEnds.get(offset));
        if (paused) throw reason.withUploadId(key.id);
      }
      const status = control.interruption?.status ?? (canceledByUser ? 'CANCELED' : 'FAILED');
      throw await this.fail(key, tracker, failure, { status, discardStorage: control.interruption?.discardStorage ?? true });
    } finally {
      partRecords.close();
      clientSignal.removeEventListener('abort', onClientGone);
      stopListeningForCancel();
      this.#running.delete(topic);
    }
  }

  /** UPLOADING → PAUSED at the last part boundary stored; false when the upload had moved on. */
  private async pause(
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
      if (state !== undefined) this.#pausedDigests.keep(topicKey(key.tenantId, key.id), offset, state, decision.resumableUntil);
      publishSnapshot(this.deps.pubsub, await this.mustFind(key));
      this.deps.metrics.uploadEnded('PAUSED', error.code);
      return true;
    } catch (writeError) {
      this.deps.logger.error({ err: writeError, uploadId: key.id }, 'could not pause an interrupted upload');
      return false;
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

interface UploadControllers {
  /** Cancels the whole upload (cancelUpload, or the client gone when resuming is off). */
  readonly upload: AbortController;
  /**
   * Ends only the reads of the request's file streams (see arrangeSources), so a read waiting for
   * client bytes ends at once; aborted with `upload`, or alone when the client went away and the
   * parts in flight should finish and be kept.
   */
  readonly sources: AbortController;
}

/** Parts in flight complete in any order: the pause's offset is among the latest few hundred ends. */
const RECENT_PART_ENDS = 256;

function keepRecent<V>(map: Map<number, V>, key: number, value: V): void {
  map.set(key, value);
  if (map.size > RECENT_PART_ENDS) map.delete(map.keys().next().value!);
}

function uploadControllers(): UploadControllers {
  const upload = new AbortController();
  // Lives as long as the upload: no listener to remove.
  return { upload, sources: childAbortController(upload.signal).controller };
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
