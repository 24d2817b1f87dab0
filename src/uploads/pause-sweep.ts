import { publishSnapshot } from './upload-events.ts';
import type { UploadServiceDependencies } from './service-dependencies.ts';

/** Expired paused uploads handled per sweep (the next sweep takes the rest). */
const SWEEP_BATCH = 100;

/**
 * Fails every PAUSED upload whose window ended (ResumeExpired) and removes what it stored (its kept
 * multipart upload, and any it may have left unrecorded). Safe on every instance at once: each
 * upload is moved by one conditional update.
 */
export async function sweepExpiredPauses(deps: UploadServiceDependencies, now: Date = new Date()): Promise<number> {
  let swept = 0;
  for (const upload of await deps.writer.findExpiredPauses(now, SWEEP_BATCH)) {
    const ended = await deps.writer.endPaused(
      upload,
      'FAILED',
      { code: 'ResumeExpired', message: 'The upload was not resumed within RESUME_TTL; its stored parts were discarded.' },
      now,
    );
    if (!ended) continue;
    swept += 1;
    await deps.cleaner.run({ tenantId: upload.tenantId, id: upload.id });
    const record = await deps.reader.find(upload.tenantId, upload.id);
    if (record !== undefined) publishSnapshot(deps.pubsub, record);
    deps.metrics.uploadEnded('FAILED', 'ResumeExpired');
  }
  return swept;
}
