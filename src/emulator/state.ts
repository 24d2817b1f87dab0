/** The read side tests use: counters, committed media, pending sessions, multipart uploads, objects. */
import type { CounterName, Counters } from './counters.ts';
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
}

export class StateView implements EmulatorState {
  constructor(
    private readonly counterStore: Counters,
    private readonly vod: VodStore,
    private readonly multipart: MultipartStore,
    private readonly objectStore: ObjectStore,
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
    return this.vod.mediaRecords();
  }

  mediaRecord(fileId: string): MediaRecord | undefined {
    return this.vod.mediaRecord(fileId);
  }

  pendingSessions(): Omit<UploadSession, 'tempSecretId'>[] {
    return this.vod.allSessions().map(({ tempSecretId: _t, ...rest }) => rest);
  }

  multipartUploads(bucket?: string, prefix?: string): MultipartUploadInfo[] {
    return this.multipart.list(bucket, prefix).map((meta) => {
      const parts = this.multipart.parts(this.multipart.get(meta.bucket, meta.key, meta.uploadId));
      return { ...meta, parts: parts.length, bytes: parts.reduce((n, p) => n + p.size, 0) };
    });
  }

  object(bucket: string, key: string): ObjectMeta | undefined {
    return this.objectStore.head(bucket, key);
  }

  objects(bucket: string, prefix?: string): ObjectMeta[] {
    return this.objectStore.list(bucket, prefix);
  }
}
