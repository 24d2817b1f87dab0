/**
 * What becomes of an upload that was interrupted before it finished: the one decision between
 * PAUSED (resumable: its multipart upload is kept until `resumableUntil`) and FAILED. The client
 * going away mid-media uses it; graceful shutdown and the sweep of a dead instance's uploads are
 * meant to call it too, so every interruption follows one rule.
 */
export interface InterruptionFacts {
  /** RESUME_TTL in milliseconds; 0 turns resuming off (every interruption fails). */
  readonly resumeTtlMs: number;
  /** The upload can go on from what storage holds (see `isResumable`). */
  readonly resumable: boolean;
  readonly now?: Date | undefined;
}

export type InterruptionOutcome =
  | { readonly status: 'PAUSED'; readonly resumableUntil: Date }
  | { readonly status: 'FAILED' };

export function pauseOrFail(facts: InterruptionFacts): InterruptionOutcome {
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

/** A plain media file whose session exists and whose media is not yet stored whole. */
export function isResumable(facts: ResumabilityFacts): boolean {
  const manifest = facts.mediaType === 'm3u8' || facts.mediaType === 'mpd';
  return facts.status === 'UPLOADING' && !manifest && !facts.mediaStored;
}
