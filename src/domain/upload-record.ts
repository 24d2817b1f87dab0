/** The statuses of an upload, in the order they normally happen. */
export const UPLOAD_STATUSES = ['PENDING', 'UPLOADING', 'PAUSED', 'COMMITTING', 'SUCCEEDED', 'FAILED', 'CANCELED'] as const;
export type UploadStatus = (typeof UPLOAD_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<UploadStatus> = new Set(['SUCCEEDED', 'FAILED', 'CANCELED']);

/** Media types of HLS/DASH manifest uploads: never resumable (an interrupted one fails as a whole). */
export const MANIFEST_MEDIA_TYPES: readonly string[] = ['m3u8', 'mpd'];

/** What VOD's task flow (`procedure`) did with the committed media; NONE: no task flow ran. */
export const PROCESSING_STATUSES = ['NONE', 'QUEUED', 'PROCESSING', 'SUCCEEDED', 'FAILED'] as const;
export type ProcessingStatus = (typeof PROCESSING_STATUSES)[number];
/** Processing is over (or never started): an untilProcessed subscription ends here. */
export const PROCESSING_OVER: ReadonlySet<ProcessingStatus> = new Set(['NONE', 'SUCCEEDED', 'FAILED']);

export const UPLOAD_SOURCES = ['THROUGH_SERVICE', 'DIRECT'] as const;
export type UploadSource = (typeof UPLOAD_SOURCES)[number];

/** One output of the task flow (a transcode, a snapshot, a cover), from its MediaProcessResultSet. */
export interface ProcessingOutput {
  readonly kind: string;
  readonly definition: number | null;
  readonly url: string;
  readonly size: number | null;
  readonly width: number | null;
  readonly height: number | null;
  readonly bitrate: number | null;
  readonly container: string | null;
}

export interface ProcessingRecord {
  readonly status: ProcessingStatus;
  /** VOD's ProcedureTask id. */
  readonly taskId: string | null;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly outputs: readonly ProcessingOutput[];
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
}

export const FILE_ROLES = ['MEDIA', 'COVER', 'SEGMENT'] as const;
export type FileRole = (typeof FILE_ROLES)[number];

export interface StoredFileRecord {
  readonly role: FileRole;
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

/** An upload as the API shows it: the contract's `MediaUpload`. Byte counts are exact numbers (< 2^53). */
export interface UploadRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly status: UploadStatus;
  readonly region: string;
  readonly mediaName: string;
  readonly mediaType: string;
  readonly coverType: string | null;
  readonly procedure: string | null;
  readonly subAppId: number | null;
  readonly classId: number | null;
  readonly storageRegion: string | null;
  readonly expireTime: Date | null;
  readonly sourceContext: string | null;
  readonly bytesTotal: number | null;
  readonly bytesReceived: number;
  readonly bytesUploaded: number;
  readonly fileId: string | null;
  readonly mediaUrl: string | null;
  readonly coverUrl: string | null;
  readonly requestId: string | null;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly files: readonly StoredFileRecord[];
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly finishedAt: Date | null;
  /** PAUSED: media bytes durably stored (a part boundary); a resume sends the media from here. */
  readonly resumableOffset: number | null;
  /** PAUSED: when the kept multipart upload is swept and the upload FAILED (ResumeExpired). */
  readonly resumableUntil: Date | null;
  readonly source: UploadSource;
  readonly processing: ProcessingRecord;
  /** The media was deleted from VOD (deleteMedia, or a FileDeleted event). */
  readonly deletedAt: Date | null;
}

/** Share of bytes stored, when the total is known. */
export function uploadProgress(record: Pick<UploadRecord, 'bytesTotal' | 'bytesUploaded'>): number | null {
  if (record.bytesTotal === null) return null;
  if (record.bytesTotal === 0) return 1;
  return Math.min(1, record.bytesUploaded / record.bytesTotal);
}
