/**
 * The seed SDK's request, name for name. `MediaFilePath` (and `CoverFilePath`) are local paths;
 * a `.m3u8`/`.mpd` media path uploads the manifest and every file it references, read from disk
 * next to it. The other fields go to ApplyUpload as given.
 */
export class VodUploadRequest {
  MediaFilePath?: string;
  CoverFilePath?: string;
  MediaType?: string;
  MediaName?: string;
  CoverType?: string;
  Procedure?: string;
  /** ISO 8601; must be in the future. */
  ExpireTime?: string;
  ClassId?: number;
  /** At most 250 characters. */
  SourceContext?: string;
  /** At most 1000 characters. */
  SessionContext?: string;
  StorageRegion?: string;
  SubAppId?: number;
  /** Parts in flight for a large file (1..64). */
  ConcurrentUploadNumber?: number;

  constructor(fields: Partial<VodUploadRequest> = {}) {
    Object.assign(this, fields);
  }
}

/** The seed SDK's response: CommitUpload's fields. */
export interface VodUploadResponse {
  readonly FileId: string;
  readonly MediaUrl: string;
  readonly CoverUrl: string;
  readonly RequestId: string;
}
