import type { UploadStatus } from './upload-record.ts';

/**
 * The upload state machine. PENDING is written before the first cloud call; UPLOADING once
 * ApplyUpload granted a session; COMMITTING while CommitUpload runs; then one terminal status.
 * A FAILED or CANCELED id may be claimed again (PENDING) by a retry with the same client id.
 * An UPLOADING upload whose client went away may be PAUSED (its multipart upload kept); resumeUpload
 * moves it back to UPLOADING, cancelUpload to CANCELED, the sweeper past its window to FAILED.
 */
const NEXT: Readonly<Record<UploadStatus, readonly UploadStatus[]>> = {
  PENDING: ['UPLOADING', 'FAILED', 'CANCELED'],
  UPLOADING: ['PAUSED', 'COMMITTING', 'FAILED', 'CANCELED'],
  PAUSED: ['UPLOADING', 'FAILED', 'CANCELED'],
  COMMITTING: ['SUCCEEDED', 'FAILED', 'CANCELED'],
  SUCCEEDED: [],
  FAILED: ['PENDING'],
  CANCELED: ['PENDING'],
};

/** Statuses a running process owns. PAUSED is not one: no process runs it, any instance may resume it. */
export const IN_FLIGHT_STATUSES: readonly UploadStatus[] = ['PENDING', 'UPLOADING', 'COMMITTING'];

export function canTransition(from: UploadStatus, to: UploadStatus): boolean {
  return NEXT[from].includes(to);
}

/** The statuses an upload may be in for a move to `to` to be allowed. */
export function statusesBefore(to: UploadStatus): UploadStatus[] {
  return (Object.keys(NEXT) as UploadStatus[]).filter((from) => canTransition(from, to));
}
