import type { Hash } from 'node:crypto';
import type { UploadKey } from '../domain/upload-key.ts';
import { cancellationError } from '../errors/cancellation.ts';
import { VodError, toVodError } from '../errors/vod-error.ts';
import type { StoredPart } from '../pipeline/object-upload.ts';
import type { UploadProgress } from '../pipeline/progress.ts';
import type { UploadHooks } from '../pipeline/upload-pipeline.ts';
import type { UploadRecord } from '../domain/upload-record.ts';
import type { CancelFanout } from './cancel-fanout.ts';
import { isResumable, pauseOrFail, pausedByShutdown } from './interruption.ts';
import { PartRecorder } from './part-recorder.ts';
import type { PipelineRun, RunControl } from './run-control.ts';
import { mustFind, type UploadServiceDependencies } from './service-dependencies.ts';
import type { UploadEndings } from './upload-endings.ts';
import { topicKey } from './upload-events.ts';
import { UploadTracker } from './upload-tracker.ts';

/** How long a stored part may wait to be recorded (see PartRecorder). */
const PART_RECORD_INTERVAL_MS = 250;
/** Parts in flight complete in any order: the pause's offset is among the latest few hundred ends. */
const RECENT_PART_ENDS = 256;

/** Everything one run of the pipeline tells the database, kept beside the run. */
interface RunState {
  readonly key: UploadKey;
  readonly tracker: UploadTracker;
  readonly partRecords: PartRecorder<StoredPart>;
  /** The media's SHA-256 state at the end of each part stored (by end offset), for the pause's offset. */
  readonly sha256AtPartEnds: Map<number, Hash>;
  readonly resumeEnabled: boolean;
  /** Set once the media is stored whole: from then on the upload cannot pause. */
  mediaStored: boolean;
}

/**
 * Runs one claimed upload (new or resumed) through the pipeline: wires its hooks to the record,
 * listens for cancel and for its client going away, and ends it as succeeded, paused or failed.
 */
export class UploadRunner {
  constructor(
    private readonly deps: UploadServiceDependencies,
    private readonly endings: UploadEndings,
    private readonly cancels: CancelFanout,
  ) {}

  /** `request.claimed`: the record as the claim wrote it; read here when not given. */
  async run(
    key: UploadKey,
    control: RunControl,
    pipelineRun: PipelineRun,
    request: { readonly clientSignal: AbortSignal; readonly claimed?: UploadRecord | undefined },
  ): Promise<UploadRecord> {
    const { clientSignal, claimed } = request;
    const { controllers } = control;
    const controller = controllers.upload;
    // Read before anything is registered: if the database fails here, nothing is left behind.
    const initial = claimed ?? (await mustFind(this.deps.reader, key));
    const start = control.sha256Start;
    const state: RunState = {
      key,
      tracker: new UploadTracker(key, initial, this.deps),
      // Parts are recorded off the pipeline's path, in batches; a pause waits for them.
      partRecords: new PartRecorder<StoredPart>((parts) => this.deps.writer.recordParts(key, parts), {
        intervalMs: PART_RECORD_INTERVAL_MS,
        onError: (error) => this.deps.logger.warn({ err: error, uploadId: key.id }, 'could not record parts'),
      }),
      sha256AtPartEnds: new Map<number, Hash>(start === undefined ? [] : [[start.offset, start.state]]),
      resumeEnabled: this.deps.resumeTtlMs > 0,
      mediaStored: false,
    };
    const { tracker } = state;
    let canceledByUser = false;
    let clientGone = false;
    const cancel = () => {
      canceledByUser = true;
      controller.abort(new VodError('RequestCanceled', 'The upload was canceled by cancelUpload.'));
    };
    // With resuming on, only the client's streams end: parts in flight finish and are kept. The
    // request's own reason (a timeout) when it has one; otherwise the client went away.
    const onClientGone = () => {
      clientGone = true;
      if (state.resumeEnabled) controllers.sources.abort(cancellationError(clientSignal));
      else controller.abort(cancellationError(clientSignal));
    };
    // Paused rather than failed when the client went away or this instance shuts down under it.
    const resumable = () =>
      pauseOrFail({
        resumeTtlMs: this.deps.resumeTtlMs,
        resumable:
          (clientGone || control.interruption !== undefined) &&
          !canceledByUser &&
          isResumable({ status: tracker.status, mediaType: initial.mediaType, mediaStored: state.mediaStored }),
      }).status === 'PAUSED';
    control.interrupt = (outcome) => {
      control.interruption ??= outcome;
      if (resumable()) controllers.sources.abort(outcome.reason);
      else controller.abort(outcome.reason);
    };
    clientSignal.addEventListener('abort', onClientGone, { once: true });
    if (clientSignal.aborted) onClientGone();
    const unregister = this.cancels.register(topicKey(key.tenantId, key.id), cancel);
    this.deps.metrics.uploadStarted();
    tracker.publish();
    try {
      const result = await pipelineRun({ signal: controller.signal, hooks: this.hooks(state, resumable) });
      return await this.endings.succeed(key, tracker, result);
    } catch (error) {
      const failure = toVodError(error);
      if (resumable()) {
        await state.partRecords.flush();
        const reason = control.interruption === undefined ? failure : pausedByShutdown();
        const paused = await this.endings.pause(key, tracker, reason, (offset) => state.sha256AtPartEnds.get(offset));
        if (paused) throw reason.withUploadId(key.id);
      }
      const status = control.interruption?.status ?? (canceledByUser ? 'CANCELED' : 'FAILED');
      throw await this.endings.fail(key, tracker, failure, { status, discardStorage: control.interruption?.discardStorage ?? true });
    } finally {
      state.partRecords.close();
      clientSignal.removeEventListener('abort', onClientGone);
      unregister();
    }
  }

  /**
   * The pipeline's side effects on the record. Every object and multipart upload is recorded before
   * it is started (write-ahead), so whatever ends the upload finds all of it.
   */
  private hooks(state: RunState, resumable: () => boolean): UploadHooks {
    const { key, tracker, partRecords, sha256AtPartEnds } = state;
    const { writer, metrics } = this.deps;
    return {
      onApplied: (applied) => tracker.applied(applied),
      onObjectStarting: (file) =>
        tracker.recordedAsStarting(file) ? undefined : writer.recordObjectStarting(key, { role: file.role, path: file.path, storageKey: file.key }),
      onCommitted: (commit) => tracker.committed(commit),
      onProgress: (progress: UploadProgress) => tracker.progress(progress),
      onPartRetry: () => metrics.partRetried(),
      onMultipartCreating: (file) => {
        tracker.multipartStarting(file);
        return writer.recordMultipartStarting(key, { role: file.role, path: file.path, storageKey: file.key });
      },
      onMultipartCreated: (file) =>
        writer.recordMultipartStarted(key, { role: file.role, path: file.path, storageKey: file.key, multipartUploadId: file.uploadId }),
      onMultipartFinished: (file, outcome) =>
        outcome === 'abort-failed' || outcome === 'kept' ? undefined : writer.recordMultipartClosed(key, file),
      onFileStored: (file) => {
        if (file.role === 'MEDIA') state.mediaStored = true;
        return tracker.fileStored({ role: file.role, path: file.path, storageKey: file.key, bytes: file.bytes, sha256: file.sha256 });
      },
      onMediaPartStored: state.resumeEnabled
        ? (part) => {
            if (part.sha256 !== undefined) keepRecent(sha256AtPartEnds, part.endOffset, part.sha256);
            partRecords.add(part);
          }
        : undefined,
      keepMediaOpenOnFailure: state.resumeEnabled ? resumable : undefined,
    };
  }
}

function keepRecent<V>(map: Map<number, V>, key: number, value: V): void {
  map.set(key, value);
  if (map.size > RECENT_PART_ENDS) map.delete(map.keys().next().value!);
}
