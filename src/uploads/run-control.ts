import type { Hash } from 'node:crypto';
import { childAbortController } from '../errors/cancellation.ts';
import type { MediaUploadResult, UploadHooks } from '../pipeline/upload-pipeline.ts';
import type { InterruptionOutcome } from './interruption.ts';

/** How one run of the pipeline is started: a new upload, or the resume of a paused one. */
export type PipelineRun = (options: { signal: AbortSignal; hooks: UploadHooks }) => Promise<MediaUploadResult>;

export interface UploadControllers {
  /** Cancels the whole upload (cancelUpload, or the client gone when resuming is off). */
  readonly upload: AbortController;
  /**
   * Ends only the reads of the request's file streams (see arrangeSources), so a read waiting for
   * client bytes ends at once; aborted with `upload`, or alone when the client went away and the
   * parts in flight should finish and be kept.
   */
  readonly sources: AbortController;
}

/** How one admitted upload is stopped: its abort controllers, and why it was interrupted, if it was. */
export interface RunControl {
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

export function newRunControl(): RunControl {
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

function uploadControllers(): UploadControllers {
  const upload = new AbortController();
  // Lives as long as the upload: no listener to remove.
  return { upload, sources: childAbortController(upload.signal).controller };
}
