import { MANIFEST_MEDIA_TYPES } from '../domain/upload-record.ts';
import { VodError } from '../errors/vod-error.ts';
import type { InterruptedEnd } from '../db/interrupted-upload-claims.ts';

/** Why an upload stops without its client or the user asking. */
export type InterruptionCause =
  /** This instance is shutting down and the grace ran out before the upload finished. */
  | 'shutdown'
  /** The instance that ran it died (its lease expired) or restarted. */
  | 'instance-lost';

export interface InterruptionOutcome extends InterruptedEnd {
  /** What the uploader is answered with and the record carries. */
  readonly reason: VodError;
}

const MESSAGES: Readonly<Record<InterruptionCause, string>> = {
  shutdown: 'The service shut down before this upload finished; send it again.',
  'instance-lost': 'The service instance running this upload stopped; send it again.',
};

/**
 * What an upload interrupted by a shutdown or by a dead instance becomes when it cannot be paused
 * (see pauseOrFail below, asked first): FAILED (`Interrupted`), multipart uploads aborted and
 * stored objects deleted.
 */
export function interruptionOutcome(cause: InterruptionCause): InterruptionOutcome {
  const reason = new VodError('Interrupted', MESSAGES[cause]);
  return { status: 'FAILED', error: { code: reason.code, message: reason.message }, discardStorage: true, reason };
}

/**
 * What the uploader of an upload this instance paused on its way down is answered with (and what
 * the PAUSED record carries): the same code as a failed interruption, so a client that retries on
 * `Interrupted` looks at the record and resumes it.
 */
export function pausedByShutdown(): VodError {
  return new VodError(
    'Interrupted',
    'The service shut down before this upload finished; it is PAUSED: resume it from resumableOffset (resumeUpload) on any instance.',
  );
}

/**
 * What becomes of an upload that was interrupted before it finished: the one decision between
 * PAUSED (resumable: its multipart upload is kept until `resumableUntil`) and FAILED. The client
 * going away mid-media uses it; graceful shutdown and the sweep of a dead instance's uploads
 * call it too, so every interruption follows one rule.
 */
export interface InterruptionFacts {
  /** RESUME_TTL in milliseconds; 0 turns resuming off (every interruption fails). */
  readonly resumeTtlMs: number;
  /** The upload can go on from what storage holds (see `isResumable`). */
  readonly resumable: boolean;
  readonly now?: Date | undefined;
}

export type PauseDecision =
  | { readonly status: 'PAUSED'; readonly resumableUntil: Date }
  | { readonly status: 'FAILED' };

export function pauseOrFail(facts: InterruptionFacts): PauseDecision {
  if (facts.resumeTtlMs <= 0 || !facts.resumable) return { status: 'FAILED' };
  const now = facts.now ?? new Date();
  return { status: 'PAUSED', resumableUntil: new Date(now.getTime() + facts.resumeTtlMs) };
}

/** The facts about an upload that make it resumable. */
export interface ResumabilityFacts {
  /** UPLOADING: ApplyUpload granted the session the resume commits (PENDING has nothing to keep). */
  readonly status: string;
  /** HLS/DASH uploads are not resumable: they fail as a whole. */
  readonly mediaType: string;
  /** Once the media is stored whole, the interruption hit the cover: nothing of the media to resume. */
  readonly mediaStored: boolean;
}

/**
 * A plain media file whose session exists and whose media is not yet stored whole. The lease sweep
 * asks the same in SQL (InterruptedUploadClaims.resumableOrphans), from the same manifest types.
 */
export function isResumable(facts: ResumabilityFacts): boolean {
  const manifest = MANIFEST_MEDIA_TYPES.includes(facts.mediaType);
  return facts.status === 'UPLOADING' && !manifest && !facts.mediaStored;
}
