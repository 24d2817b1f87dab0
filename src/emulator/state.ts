/** The read side tests use: counters, committed media, pending sessions, multipart uploads, objects, queued events. */
import type { CounterName, Counters } from './counters.ts';
import type { EventQueue, QueuedEvent } from './event-queue.ts';
import type { MultipartStore, UploadMeta } from './multipart-store.ts';
import type { ObjectMeta, ObjectStore } from './object-store.ts';
import type { MediaRecord, UploadSession, VodStore } from './vod-store.ts';

export interface MultipartUploadInfo extends UploadMeta {
  readonly parts: number;
  readonly bytes: number;
}

export interface EmulatorState {
  /** A snapshot of every request counter. */
  readonly counters: Readonly<Record<CounterName, number>>;
  count(name: CounterName): number;
  /** COS requests signed with this secret id since the counters were last reset. */
  cosRequestsSignedBy(secretId: string): number;
  resetCounters(): void;
  /** Committed media, oldest first. */
  mediaRecords(): MediaRecord[];
  mediaRecord(fileId: string): MediaRecord | undefined;
  /** ApplyUpload sessions not yet committed (without credentials). */
  pendingSessions(): Omit<UploadSession, 'tempSecretId'>[];
  /** Multipart uploads in progress (initiated, neither completed nor aborted). */
  multipartUploads(bucket?: string, prefix?: string): MultipartUploadInfo[];
  object(bucket: string, key: string): ObjectMeta | undefined;
  objects(bucket: string, prefix?: string): ObjectMeta[];
  /** Events queued for PullEvents (not yet confirmed), oldest first; of one SubAppId (0 = primary app) when given. */
  events(subAppId?: number): QueuedEvent[];
}

/** The stores the state view reads. */
export interface StateStores {
  readonly vod: VodStore;
  readonly multipart: MultipartStore;
  readonly objects: ObjectStore;
  readonly events: EventQueue;
}

export class StateView implements EmulatorState {
  constructor(
    private readonly counterStore: Counters,
    private readonly stores: StateStores,
  ) {}

  get counters(): Readonly<Record<CounterName, number>> {
    return this.counterStore.snapshot();
  }

  count(name: CounterName): number {
    return this.counterStore.get(name);
  }

  cosRequestsSignedBy(secretId: string): number {
    return this.counterStore.signedBy(secretId);
  }

  resetCounters(): void {
    this.counterStore.reset();
  }

  mediaRecords(): MediaRecord[] {
    return this.stores.vod.mediaRecords();
  }

  mediaRecord(fileId: string): MediaRecord | undefined {
    return this.stores.vod.mediaRecord(fileId);
  }

  pendingSessions(): Omit<UploadSession, 'tempSecretId'>[] {
    return this.stores.vod.allSessions().map(({ tempSecretId: _t, ...rest }) => rest);
  }

  multipartUploads(bucket?: string, prefix?: string): MultipartUploadInfo[] {
    return this.stores.multipart.list(bucket, prefix).map((meta) => {
      const parts = this.stores.multipart.parts(this.stores.multipart.get(meta.bucket, meta.key, meta.uploadId));
      return { ...meta, parts: parts.length, bytes: parts.reduce((n, p) => n + p.size, 0) };
    });
  }

  object(bucket: string, key: string): ObjectMeta | undefined {
    return this.stores.objects.head(bucket, key);
  }

  objects(bucket: string, prefix?: string): ObjectMeta[] {
    return this.stores.objects.list(bucket, prefix);
  }

  events(subAppId?: number): QueuedEvent[] {
    return this.stores.events.list(subAppId);
  }
}
