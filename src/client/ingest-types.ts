/** The service's GraphQL types as a client sees them (see schema.graphql and the DESIGN contract). */

export type UploadStatus = 'PENDING' | 'UPLOADING' | 'PAUSED' | 'COMMITTING' | 'SUCCEEDED' | 'FAILED' | 'CANCELED';

export const TERMINAL_UPLOAD_STATUSES: ReadonlySet<UploadStatus> = new Set(['SUCCEEDED', 'FAILED', 'CANCELED']);

export interface StoredFile {
  readonly role: 'MEDIA' | 'COVER' | 'SEGMENT';
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

/** An upload record (`MediaUpload`). The resume fields are present when the server has them. */
export interface MediaUpload {
  readonly id: string;
  readonly status: UploadStatus;
  readonly region: string;
  readonly mediaName: string;
  readonly mediaType: string;
  readonly coverType: string | null;
  readonly procedure: string | null;
  readonly subAppId: number | null;
  readonly classId: number | null;
  readonly storageRegion: string | null;
  readonly expireTime: string | null;
  readonly sourceContext: string | null;
  readonly bytesTotal: number | null;
  readonly bytesReceived: number;
  readonly bytesUploaded: number;
  readonly progress: number | null;
  readonly fileId: string | null;
  readonly mediaUrl: string | null;
  readonly coverUrl: string | null;
  readonly requestId: string | null;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly files: readonly StoredFile[];
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly finishedAt: string | null;
  /** PAUSED: media bytes durably stored (a part boundary); resume from here. */
  readonly resumableOffset?: number | null;
  /** PAUSED: after this the upload is swept and FAILED. */
  readonly resumableUntil?: string | null;
}

export type ProcessingStatus = 'NONE' | 'QUEUED' | 'PROCESSING' | 'SUCCEEDED' | 'FAILED';

/** Processing is over (or never started): nothing more will change. */
export const FINAL_PROCESSING_STATUSES: ReadonlySet<ProcessingStatus> = new Set(['NONE', 'SUCCEEDED', 'FAILED']);

/** The task flow after the upload (`MediaProcessing`). */
export interface MediaProcessing {
  readonly status: ProcessingStatus;
  readonly taskId: string | null;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly outputs: ReadonlyArray<{ readonly kind: string; readonly definition: number | null; readonly url: string; readonly size: number | null }>;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
}

/** An upload record with what happened after it: its processing and deletion. */
export interface ProcessedUpload extends MediaUpload {
  readonly processing: MediaProcessing;
  readonly deletedAt: string | null;
}

/** A `uploadProgress` snapshot: the fields a progress display needs. */
export type UploadSnapshot = Pick<
  MediaUpload,
  'id' | 'status' | 'bytesTotal' | 'bytesReceived' | 'bytesUploaded' | 'progress' | 'error'
>;

/** A file to send: any Blob (e.g. `fs.openAsBlob(path)`, which streams from disk) and its file name. */
export interface NamedBlob {
  readonly name: string;
  readonly blob: Blob;
}

/** One file an HLS/DASH manifest references, by its path relative to the manifest. */
export interface SegmentFile {
  readonly path: string;
  readonly file: NamedBlob;
}

/** `UploadMediaInput` without the files. */
export interface UploadFields {
  /** A UUID you choose: subscribe before sending; idempotency key. Default: a random UUID. */
  readonly id?: string | undefined;
  readonly region?: string | undefined;
  readonly mediaName?: string | undefined;
  readonly mediaType?: string | undefined;
  readonly coverType?: string | undefined;
  readonly procedure?: string | undefined;
  readonly subAppId?: number | undefined;
  readonly classId?: number | undefined;
  readonly storageRegion?: string | undefined;
  readonly expireTime?: string | undefined;
  readonly sourceContext?: string | undefined;
  readonly sessionContext?: string | undefined;
  readonly concurrentUploadNumber?: number | undefined;
}

export const RECORD_FIELDS = `id status region mediaName mediaType coverType procedure subAppId classId storageRegion expireTime
  sourceContext bytesTotal bytesReceived bytesUploaded progress fileId mediaUrl coverUrl requestId
  error { code message } files { role path bytes sha256 } createdAt updatedAt finishedAt`;
const RESUME_FIELDS = 'resumableOffset resumableUntil';

export const UPLOAD_MEDIA = `mutation UploadMedia($input: UploadMediaInput!) { uploadMedia(input: $input) { ${RECORD_FIELDS} } }`;
export const RESUME_UPLOAD = `mutation ResumeUpload($input: ResumeUploadInput!) { resumeUpload(input: $input) { ${RECORD_FIELDS} } }`;
export const CANCEL_UPLOAD = `mutation CancelUpload($id: ID!) { cancelUpload(id: $id) { ${RECORD_FIELDS} } }`;
export const GET_UPLOAD = `query Upload($id: ID!) { upload(id: $id) { ${RECORD_FIELDS} ${RESUME_FIELDS} } }`;
/** For servers without resume: the same query without the resume fields. */
export const GET_UPLOAD_WITHOUT_RESUME = `query Upload($id: ID!) { upload(id: $id) { ${RECORD_FIELDS} } }`;
export const GET_PROCESSED_UPLOAD = `query ProcessedUpload($id: ID!) { upload(id: $id) { ${RECORD_FIELDS}
  deletedAt processing { status taskId error { code message } outputs { kind definition url size } startedAt finishedAt } } }`;
export const UPLOAD_PROGRESS = `subscription UploadProgress($id: ID!) {
  uploadProgress(id: $id) { id status bytesTotal bytesReceived bytesUploaded progress error { code message } }
}`;
