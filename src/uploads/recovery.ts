import type { InterruptedUploadClaims, OrphanSelector } from '../db/interrupted-upload-claims.ts';
import type { UploadRepository } from '../db/upload-repository.ts';
import type { Logger } from '../logging/logger.ts';
import { interruptionOutcome } from './interruption.ts';
import type { StorageCleaner } from './storage-cleaner.ts';
import { publishSnapshot, type UploadPubSub } from './upload-events.ts';

export interface RecoveryDependencies {
  readonly claims: InterruptedUploadClaims;
  readonly reader: UploadRepository;
  readonly cleaner: StorageCleaner;
  readonly pubsub: UploadPubSub;
  readonly logger: Logger;
}

export interface RecoveryReport {
  /** Uploads this sweep ended. */
  readonly interrupted: number;
  /** Objects and multipart uploads removed from storage (this sweep's and earlier leftovers). */
  readonly removed: number;
  /** Removals that failed and stay queued for a later sweep. */
  readonly failedRemovals: number;
}

/**
 * Ends the uploads whose process is gone, as `interruptionOutcome('instance-lost')` decides (today
 * FAILED `Interrupted`), tells their subscribers, and removes what they stored (multipart uploads
 * aborted and objects deleted with the permanent key; what fails is retried by the next sweep).
 * Safe to run on several instances at once: each upload is ended by exactly one of them.
 */
export async function sweepInterruptedUploads(selector: OrphanSelector, deps: RecoveryDependencies): Promise<RecoveryReport> {
  const outcome = interruptionOutcome('instance-lost');
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
  const report = { interrupted, removed: cleanup.removed, failedRemovals: cleanup.failed };
  if (interrupted > 0) deps.logger.warn({ ...report, selector: selector.kind }, 'recovered interrupted uploads');
  return report;
}

/**
 * At start-up, before serving: whatever an earlier life of this instance id left in flight can never
 * finish (the case of a restart with a configured, stable INSTANCE_ID; peers sweep the rest by lease).
 */
export function recoverInterruptedUploads(instanceId: string, deps: RecoveryDependencies): Promise<RecoveryReport> {
  return sweepInterruptedUploads({ kind: 'own', instanceId }, deps);
}
