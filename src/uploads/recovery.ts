import type { InterruptedUploadClaims, OrphanSelector } from '../db/interrupted-upload-claims.ts';
import type { UploadRepository } from '../db/upload-repository.ts';
import type { UploadWriter } from '../db/upload-writer.ts';
import type { Logger } from '../logging/logger.ts';
import { interruptionOutcome, pauseOrFail } from './interruption.ts';
import type { StorageCleaner } from './storage-cleaner.ts';
import { publishSnapshot, type UploadPubSub } from './upload-events.ts';

export interface RecoveryDependencies {
  readonly claims: InterruptedUploadClaims;
  readonly reader: UploadRepository;
  readonly cleaner: StorageCleaner;
  readonly writer: UploadWriter;
  readonly pubsub: UploadPubSub;
  readonly logger: Logger;
  /** RESUME_TTL in ms: a resumable orphan is PAUSED instead of failed (0: every one fails). */
  readonly resumeTtlMs: number;
}

export interface RecoveryReport {
  /** Uploads this sweep ended. */
  readonly interrupted: number;
  /** Uploads this sweep paused for resumeUpload (their multipart uploads kept). */
  readonly paused: number;
  /** Objects and multipart uploads removed from storage (this sweep's and earlier leftovers). */
  readonly removed: number;
  /** Removals that failed and stay queued for a later sweep. */
  readonly failedRemovals: number;
}

/**
 * Deals with the uploads whose process is gone. A resumable one (pauseOrFail: a plain media file past
 * ApplyUpload whose media is not stored whole, RESUME_TTL > 0) becomes PAUSED at its last recorded
 * part, its multipart upload kept for resumeUpload on any instance. The rest end as
 * `interruptionOutcome('instance-lost')` decides (FAILED `Interrupted`) and what they stored is
 * removed (multipart uploads aborted and objects deleted with the permanent key; what fails is
 * retried by the next sweep). Every instance tells the subscribers. Safe to run on several
 * instances at once: each upload is moved by exactly one of them (conditional updates).
 */
export async function sweepInterruptedUploads(selector: OrphanSelector, deps: RecoveryDependencies): Promise<RecoveryReport> {
  const outcome = interruptionOutcome('instance-lost');
  let paused = 0;
  const pause = pauseOrFail({ resumeTtlMs: deps.resumeTtlMs, resumable: true });
  if (pause.status === 'PAUSED') {
    for (const key of await deps.claims.resumableOrphans(selector)) {
      const offset = await deps.writer.markPaused(key, {
        resumableUntil: pause.resumableUntil,
        error: { code: 'Interrupted', message: 'The service instance running this upload stopped; resume it with resumeUpload.' },
        counters: { bytesReceived: 0, bytesUploaded: 0 },
      });
      if (offset === undefined) continue;
      paused += 1;
      // A multipart upload created just before the crash, its id never recorded, is not the one a resume continues.
      await deps.cleaner.abortUnrecordedMultiparts(key);
      const record = await deps.reader.find(key.tenantId, key.id);
      if (record !== undefined) publishSnapshot(deps.pubsub, record);
    }
  }
  let interrupted = 0;
  for (;;) {
    const ended = await deps.claims.endBatch(selector, outcome);
    if (ended.length === 0) break;
    interrupted += ended.length;
    for (const key of ended) {
      const record = await deps.reader.find(key.tenantId, key.id);
      if (record !== undefined) publishSnapshot(deps.pubsub, record);
    }
  }
  const cleanup = await deps.cleaner.run();
  const report = { interrupted, paused, removed: cleanup.removed, failedRemovals: cleanup.failed };
  if (interrupted + paused > 0) deps.logger.warn({ ...report, selector: selector.kind }, 'recovered interrupted uploads');
  return report;
}

/**
 * At start-up, before serving: whatever an earlier life of this instance id left in flight can never
 * finish (the case of a restart with a configured, stable INSTANCE_ID; peers sweep the rest by lease).
 */
export function recoverInterruptedUploads(instanceId: string, deps: RecoveryDependencies): Promise<RecoveryReport> {
  return sweepInterruptedUploads({ kind: 'own', instanceId }, deps);
}
