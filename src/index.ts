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
