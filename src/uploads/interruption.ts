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
 * The one place that decides what becomes of an upload interrupted by a shutdown or by a dead
 * instance. Today: FAILED (`Interrupted`), multipart uploads aborted and stored objects deleted.
 * With resumable uploads this is where PAUSED (keeping the multipart upload) will be chosen.
 */
export function interruptionOutcome(cause: InterruptionCause): InterruptionOutcome {
  const reason = new VodError('Interrupted', MESSAGES[cause]);
  return { status: 'FAILED', error: { code: reason.code, message: reason.message }, discardStorage: true, reason };
}
