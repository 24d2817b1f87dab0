import { storedFileName, type StoredObject } from '../db/upload-step-statement.ts';
import type { ByteCounters, UploadWriter } from '../db/upload-writer.ts';
import type { FileRole } from '../domain/upload-record.ts';
import type { UploadKey } from '../domain/upload-key.ts';
import type { Logger } from '../logging/logger.ts';
import type { UploadMetrics } from '../metrics/upload-metrics.ts';
import type { UploadProgress } from '../pipeline/progress.ts';
import type { AppliedUpload } from '../pipeline/upload-pipeline.ts';
import { publishSnapshot, type UploadPubSub } from './upload-events.ts';
import type { UploadRecord } from '../domain/upload-record.ts';

/** Least time between two published progress snapshots (≤ 10 per second). */
const PUBLISH_INTERVAL_MS = 100;
/** Least time between two writes of the byte counters to the database. */
const PERSIST_INTERVAL_MS = 1000;

interface TrackerDependencies {
  readonly writer: UploadWriter;
  readonly pubsub: UploadPubSub;
  readonly metrics: UploadMetrics;
  readonly logger: Logger;
}

/**
 * The live view of one running upload: applies pipeline events to an in-memory record, publishes
 * snapshots at a bounded rate, and writes status changes (at once) and byte counters (at most once
 * a second) to the database, in order, on one chain.
 */
export class UploadTracker {
  #record: UploadRecord;
  #writes: Promise<void> = Promise.resolve();
  #lastPublished = 0;
  /** From the start: the counters are first written a second in (a small upload ends before). */
  #lastPersisted = Date.now();
  /** Objects recorded as starting with the session (storedFileName → storage key). */
  readonly #announced = new Map<string, string>();
  /** Files that went by multipart upload (storedFileName). */
  readonly #multipart = new Set<string>();
  /** Files stored and not yet written: they go with the next status write, or on their own a moment later. */
  #storedUnwritten: StoredObject[] = [];
  #storedFlushScheduled = false;

  constructor(
    private readonly key: UploadKey,
    initial: UploadRecord,
    private readonly deps: TrackerDependencies,
  ) {
    this.#record = initial;
  }

  get status(): UploadRecord['status'] {
    return this.#record.status;
  }

  counters(): ByteCounters {
    return {
      bytesReceived: this.#record.bytesReceived,
      bytesUploaded: this.#record.bytesUploaded,
      bytesTotal: this.#record.bytesTotal ?? undefined,
    };
  }

  /** ApplyUpload granted a session: recorded, with the objects it announced as starting, before any object is stored. */
  async applied(applied: AppliedUpload): Promise<void> {
    await this.settle();
    const starting = applied.objects.map((object) => ({ role: object.role, path: object.path, storageKey: object.key }));
    await this.deps.writer.markApplied(
      this.key,
      {
        vodSessionKey: applied.vodSessionKey,
        storageBucket: applied.storageBucket,
        bucketRegion: applied.storageRegion,
        requestId: applied.requestId,
        mediaStoragePath: applied.mediaStoragePath,
        coverStoragePath: applied.coverStoragePath ?? null,
        sessionCredentials: applied.sessionCredentials,
      },
      starting,
    );
    for (const object of starting) this.#announced.set(storedFileName(object.role, object.path), object.storageKey);
    this.update({ status: 'UPLOADING', requestId: applied.requestId });
    this.publish();
  }

  /** Whether the object was recorded as starting, under this key, with the session. */
  recordedAsStarting(object: { role: FileRole; path: string; key: string }): boolean {
    return this.#announced.get(storedFileName(object.role, object.path)) === object.key;
  }

  /** CreateMultipartUpload is about to be sent for the file. */
  multipartStarting(file: { role: FileRole; path: string }): void {
    this.#multipart.add(storedFileName(file.role, file.path));
  }

  /**
   * A file is stored whole. One stored by a single PUT and recorded as starting with the session
   * goes with the next status write (COMMITTING, right after the last file) or, if none comes in
   * this turn of the event loop, on its own: its object was recorded as starting, so until then a
   * failure still deletes it. Any other (a multipart upload, a resumed one) is written at once and
   * awaited: recovery must never pause an upload whose media is complete.
   */
  async fileStored(file: StoredObject): Promise<void> {
    this.#storedUnwritten.push(file);
    const byOnePut =
      this.recordedAsStarting({ role: file.role, path: file.path, key: file.storageKey }) && !this.#multipart.has(storedFileName(file.role, file.path));
    if (!byOnePut) {
      await this.settle();
      return;
    }
    if (this.#storedFlushScheduled) return;
    this.#storedFlushScheduled = true;
    setImmediate(() => {
      this.#storedFlushScheduled = false;
      this.#flushStored();
    });
  }

  /** CommitUpload succeeded before a late cover is set: the FileId is recorded at once. */
  async committed(commit: { fileId: string; mediaUrl: string; requestId: string }): Promise<void> {
    await this.settle();
    await this.deps.writer.recordCommitted(this.key, { fileId: commit.fileId, mediaUrl: commit.mediaUrl, requestId: commit.requestId });
    this.update({ fileId: commit.fileId, mediaUrl: commit.mediaUrl, requestId: commit.requestId });
    this.publish();
  }

  progress(progress: UploadProgress): void {
    const received = progress.bytesRead - this.#record.bytesReceived;
    const stored = progress.bytesStored - this.#record.bytesUploaded;
    this.deps.metrics.bytesMoved(received, stored);
    const committing = progress.phase === 'committing' && this.#record.status !== 'COMMITTING';
    this.update({
      bytesReceived: progress.bytesRead,
      bytesUploaded: progress.bytesStored,
      // Every stream has ended once the pipeline commits: the total is known.
      ...(committing ? { bytesTotal: progress.bytesRead } : {}),
      ...(committing ? { status: 'COMMITTING' } : {}),
    });
    const now = Date.now();
    if (committing) {
      const counters = this.counters();
      this.enqueue(() => this.deps.writer.markCommitting(this.key, counters, this.#takeStored()), { fatal: true });
      this.#lastPersisted = now;
      this.publish();
      return;
    }
    if (now - this.#lastPersisted >= PERSIST_INTERVAL_MS) {
      this.#lastPersisted = now;
      const counters = this.counters();
      this.enqueue(() => this.deps.writer.saveProgress(this.key, counters), { fatal: false });
    }
    if (now - this.#lastPublished >= PUBLISH_INTERVAL_MS) this.publish();
  }

  publish(): void {
    this.#lastPublished = Date.now();
    publishSnapshot(this.deps.pubsub, this.#record);
  }

  /** Writes what is still unwritten and waits for every queued write; a failed status write is rethrown here. */
  async settle(): Promise<void> {
    this.#flushStored();
    await this.#writes;
  }

  #flushStored(): void {
    if (this.#storedUnwritten.length === 0) return;
    this.enqueue(async () => {
      const stored = this.#takeStored();
      if (stored.length > 0) await this.deps.writer.recordFilesStored(this.key, stored);
    }, { fatal: true });
  }

  #takeStored(): StoredObject[] {
    const taken = this.#storedUnwritten;
    this.#storedUnwritten = [];
    return taken;
  }

  private update(changes: Partial<UploadRecord>): void {
    this.#record = { ...this.#record, ...changes, updatedAt: new Date() };
  }

  /** A failed counter write only costs freshness; a failed status write fails the upload. */
  private enqueue(write: () => Promise<void>, options: { fatal: boolean }): void {
    const logged = (error: unknown) => this.deps.logger.warn({ err: error, uploadId: this.key.id }, 'progress write failed');
    this.#writes = this.#writes.then(options.fatal ? write : () => write().catch(logged));
    // Handled here so the process never sees an unhandled rejection; settle() still rethrows it.
    this.#writes.catch(() => undefined);
  }
}
