/** Direct uploads from Node: a signature from the service, the files straight to VOD. */
import type { DirectUploadInput } from '../direct/direct-uploads.ts';
import type { UgcEndpoints } from '../direct/ugc-client.ts';
import { RECORD_FIELDS, type MediaUpload } from './ingest-types.ts';

export const CREATE_DIRECT_UPLOAD = `mutation CreateDirectUpload($input: CreateDirectUploadInput!) {
  createDirectUpload(input: $input) { signature expiresAt upload { ${RECORD_FIELDS} } }
}`;

/** createDirectUpload's input (the service's own type: one definition of its fields). */
export type DirectUploadFields = DirectUploadInput;

/** The PENDING record and the one-time signature for it. */
export interface DirectUploadGrant {
  readonly upload: MediaUpload;
  readonly signature: string;
  readonly expiresAt: string;
}

export interface DirectSendOptions extends DirectUploadFields {
  /** Path of the cover image. */
  readonly cover?: string | undefined;
  /** Default: Tencent's (vod2.qcloud.com and COS); the emulator's for tests. */
  readonly endpoints?: UgcEndpoints | undefined;
  readonly onProgress?: ((loaded: number, total: number) => void) | undefined;
}

export interface DirectSendResult {
  /** The record as created: PENDING until VOD's NewFileUpload event reaches the service. */
  readonly upload: MediaUpload;
  /** VOD's answer to CommitUploadUGC. */
  readonly fileId: string;
  readonly mediaUrl: string;
  readonly coverUrl?: string | undefined;
}
