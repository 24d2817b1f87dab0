import type { UploadRepository } from '../db/upload-repository.ts';
import type { UploadWriter } from '../db/upload-writer.ts';
import type { UploadKey } from '../domain/upload-key.ts';
import { VodError } from '../errors/vod-error.ts';
import type { Logger } from '../logging/logger.ts';
import type { UploadMetrics } from '../metrics/upload-metrics.ts';
import type { PipelineDependencies } from '../pipeline/upload-pipeline.ts';
import type { UploadRecord } from '../domain/upload-record.ts';
import type { StorageCleaner } from './storage-cleaner.ts';
import type { UploadPubSub } from './upload-events.ts';

/** What the upload service and its parts work with. */
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

/** A cover sent before the media is held in memory up to this size (its type must be known for ApplyUpload). */
export const MAX_BUFFERED_COVER_BYTES = 16 * 1024 * 1024;

/** The record of an upload this service wrote: its absence is an internal error. */
export async function mustFind(reader: UploadRepository, key: UploadKey): Promise<UploadRecord> {
  const record = await reader.find(key.tenantId, key.id);
  if (record === undefined) throw new VodError('InternalError', `Upload ${key.id} vanished.`);
  return record;
}
