/** VOD-side records: upload sessions (ApplyUpload → CommitUpload) and committed media, kept on disk. */
import path from 'node:path';
import { JsonDir } from './json-dir.ts';

/** What ApplyUpload was asked for and what it handed out. */
export interface UploadSession {
  readonly vodSessionKey: string;
  readonly fileId: string;
  readonly subAppId: number;
  /** Access region (X-TC-Region) of the ApplyUpload call. */
  readonly region: string;
  readonly mediaName: string;
  readonly mediaType: string;
  readonly coverType?: string | undefined;
  readonly procedure?: string | undefined;
  readonly classId: number;
  readonly expireTime?: string | undefined;
  readonly sourceContext?: string | undefined;
  readonly sessionContext?: string | undefined;
  readonly extInfo?: string | undefined;
  readonly storageRegion: string;
  readonly bucket: string;
  /** With the leading `/`, as returned by ApplyUpload. */
  readonly mediaStoragePath: string;
  readonly coverStoragePath?: string | undefined;
  readonly tempSecretId: string;
  /** Unix seconds. */
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface StoredObjectInfo {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly crc64: string;
}

/** The procedure (task flow) run for a media file. */
export interface ProcedureTaskRecord {
  readonly taskId: string;
  readonly procedure: string;
  readonly status: 'PROCESSING' | 'FINISH';
  /** Milliseconds since the epoch. */
  readonly startedAt: number;
  readonly finishedAt?: number | undefined;
  /** 0 when it succeeded. */
  readonly errCode: number;
  /** '' when it succeeded, else the VOD error code (e.g. `InternalError`). */
  readonly errCodeExt: string;
  readonly message: string;
}

/** An object the task flow wrote (a "transcode", a snapshot, the snapshot cover). */
export interface ProcessedOutput {
  readonly kind: 'Transcode' | 'SnapshotByTimeOffset' | 'CoverBySnapshot';
  readonly definition: number;
  readonly key: string;
  readonly url: string;
  readonly size: number;
  /** Hex MD5 of the object's bytes. */
  readonly md5: string;
  /** Snapshots: the time offset in milliseconds. */
  readonly timeOffset?: number | undefined;
}

/** A committed media file, as tests read it back. */
export interface MediaRecord extends Omit<UploadSession, 'tempSecretId' | 'expiresAt' | 'createdAt'> {
  /** COS key of the media object (no leading `/`). */
  readonly mediaKey: string;
  readonly coverKey?: string | undefined;
  readonly mediaUrl: string;
  readonly coverUrl: string;
  /** Every object stored under the upload's directory at commit time (media, cover, segments). */
  readonly objects: readonly StoredObjectInfo[];
  readonly appliedAt: string;
  readonly committedAt: string;
  readonly commitRequestId: string;
  /** ISO time of the last change (cover, processing); absent until one. */
  readonly updatedAt?: string | undefined;
  /** Set when a Procedure was given at ApplyUpload. */
  readonly procedureTask?: ProcedureTaskRecord | undefined;
  /** Objects the task flow wrote, under the media's directory. */
  readonly outputs?: readonly ProcessedOutput[] | undefined;
}

export class VodStore {
  private readonly sessions = new Map<string, UploadSession>();
  private readonly media = new Map<string, MediaRecord>();
  /** `bucket/dir/` of every session handed out (pending or committed): VOD's own paths. */
  private readonly sessionPaths = new Set<string>();
  private readonly sessionDir: JsonDir<UploadSession>;
  private readonly mediaDir: JsonDir<MediaRecord>;

  constructor(dataDir: string) {
    this.sessionDir = new JsonDir(path.join(dataDir, 'vod', 'sessions'));
    this.mediaDir = new JsonDir(path.join(dataDir, 'vod', 'media'));
  }

  async load(): Promise<void> {
    await this.sessionDir.init();
    await this.mediaDir.init();
    for (const s of await this.sessionDir.loadAll()) {
      this.sessions.set(s.vodSessionKey, s);
      this.sessionPaths.add(sessionPathOf(s.bucket, s.mediaStoragePath.slice(1)));
    }
    for (const m of await this.mediaDir.loadAll()) {
      this.media.set(m.fileId, m);
      this.sessionPaths.add(sessionPathOf(m.bucket, m.mediaKey));
    }
  }

  /** True when `key` (no leading `/`; a prefix for bucket-level calls) lies under a session's directory. */
  isSessionPath(bucket: string, key: string): boolean {
    for (let end = key.indexOf('/'); end !== -1; end = key.indexOf('/', end + 1)) {
      if (this.sessionPaths.has(`${bucket}/${key.slice(0, end + 1)}`)) return true;
    }
    return false;
  }

  session(key: string): UploadSession | undefined {
    return this.sessions.get(key);
  }

  allSessions(): UploadSession[] {
    return [...this.sessions.values()];
  }

  async addSession(s: UploadSession): Promise<void> {
    this.sessions.set(s.vodSessionKey, s);
    this.sessionPaths.add(sessionPathOf(s.bucket, s.mediaStoragePath.slice(1)));
    await this.sessionDir.write(s.vodSessionKey, s);
  }

  async endSession(key: string): Promise<void> {
    this.sessions.delete(key);
    await this.sessionDir.remove(key);
  }

  async addMedia(m: MediaRecord): Promise<void> {
    this.media.set(m.fileId, m);
    await this.mediaDir.write(m.fileId, m);
  }

  async removeMedia(fileId: string): Promise<void> {
    this.media.delete(fileId);
    await this.mediaDir.remove(fileId);
  }

  mediaRecord(fileId: string): MediaRecord | undefined {
    return this.media.get(fileId);
  }

  mediaRecords(): MediaRecord[] {
    return [...this.media.values()].sort((a, b) => (a.committedAt < b.committedAt ? -1 : 1));
  }
}

/** The directory a session's objects go under (the media key's), as `bucket/dir/`. */
function sessionPathOf(bucket: string, mediaKey: string): string {
  return `${bucket}/${mediaKey.slice(0, mediaKey.lastIndexOf('/') + 1)}`;
}
