/**
 * The library door: the seed SDK's names, backed by the service's streaming upload pipeline.
 *
 *   const client = new VodUploadClient(secretId, secretKey);
 *   const request = new VodUploadRequest();
 *   request.MediaFilePath = '/data/file/Wildlife.mp4';
 *   const { FileId, MediaUrl } = await client.upload('ap-guangzhou', request);
 */
export { VodUploadClient, type VodUploadClientOptions, type UploadCallOptions } from './client/vod-upload-client.ts';
export { VodUploadRequest, type VodUploadResponse } from './client/vod-upload-request.ts';
export { VodError, isVodError } from './errors/vod-error.ts';
export { ERROR_CODES, type ErrorCode } from './errors/error-codes.ts';
export type { UploadProgress, FileProgress, UploadPhase, FileRole } from './pipeline/progress.ts';

/**
 * The client of a running vod-ingest service (what the `vod-upload` CLI is built on):
 *
 *   const client = new IngestClient({ url: 'http://localhost:4000/graphql', key });
 *   const record = await client.upload(await openLocalFile('Wildlife.mp4'), { procedure: 'my-flow' });
 */
export {
  IngestClient,
  type IngestClientOptions,
  type UploadOptions,
  type UploadCallOptions as IngestUploadCallOptions,
  type UploadEvent,
} from './client/ingest-client.ts';
export { IngestError, isIngestError, CLIENT_ERROR_CODES } from './client/ingest-error.ts';
export type { MediaUpload, UploadSnapshot, UploadStatus, NamedBlob, SegmentFile, UploadFields, StoredFile, ProcessedUpload, MediaProcessing, ProcessingStatus } from './client/ingest-types.ts';
export { openLocalFile, manifestSegments, isManifestPath, LocalFileError } from './client/local-files.ts';

/**
 * Direct uploads: the service signs, the bytes go from the client straight to VOD.
 *
 *   const { fileId, upload } = await client.uploadDirect('Wildlife.mp4', { cover: 'cover.png' });
 */
export type { DirectUploadFields, DirectUploadGrant, DirectSendOptions, DirectSendResult } from './client/direct-upload.ts';
export { UgcApiError, type UgcEndpoints } from './direct/ugc-client.ts';
export { createUploadSignature, type UploadSignatureParams } from './direct/upload-signature.ts';
