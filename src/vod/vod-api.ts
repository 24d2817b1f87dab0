/**
 * The port to Tencent Cloud VOD's upload API: the calls the upload pipeline makes, in our own types. One instance talks to one access region with one set of credentials.
 *
 * Every method rejects with a `VodError`. An API error keeps the API's code (or the nearest of ours,
 * with the original code in the message) and its `requestId`; a transport fault (no RequestId) is
 * marked transient (see `isTransientError`), which is the only kind the pipeline retries.
 */
export interface VodApi {
  applyUpload(input: ApplyUploadInput, options?: CallOptions): Promise<UploadSession>;
  commitUpload(input: CommitUploadInput, options?: CallOptions): Promise<CommitUploadResult>;
  parseStreamingManifest(input: ParseManifestInput, options?: CallOptions): Promise<ParsedManifest>;
  /** ModifyMediaInfo with CoverData: sets the cover of a committed file (a cover that came too late for ApplyUpload). */
  setCover(input: SetCoverInput, options?: CallOptions): Promise<SetCoverResult>;
}

export interface CallOptions {
  readonly signal?: AbortSignal | undefined;
}

/** ApplyUpload's request fields; `undefined` fields are not sent. */
export interface ApplyUploadInput {
  readonly mediaType: string;
  readonly mediaName?: string | undefined;
  readonly coverType?: string | undefined;
  readonly procedure?: string | undefined;
  readonly expireTime?: string | undefined;
  readonly storageRegion?: string | undefined;
  readonly classId?: number | undefined;
  readonly sourceContext?: string | undefined;
  readonly sessionContext?: string | undefined;
  readonly subAppId?: number | undefined;
}

/** Temporary COS credentials from ApplyUpload (`TempCertificate`). */
export interface TemporaryCredentials {
  readonly secretId: string;
  readonly secretKey: string;
  readonly token: string;
  /** Unix seconds; may be absent. */
  readonly expiredTime?: number | undefined;
}

/** What ApplyUpload answered: where to put the bytes and the key to commit them with. */
export interface UploadSession {
  readonly vodSessionKey: string;
  readonly storageBucket: string;
  readonly storageRegion: string;
  /** COS key of the media (or top manifest), with its leading `/`. */
  readonly mediaStoragePath: string;
  /** COS key of the cover, with its leading `/`, when a cover type was applied for. */
  readonly coverStoragePath?: string | undefined;
  /** Absent when VOD issued no temporary key: the caller's own key is used then. */
  readonly tempCertificate?: TemporaryCredentials | undefined;
  readonly requestId: string;
}

export interface CommitUploadInput {
  readonly vodSessionKey: string;
  readonly subAppId?: number | undefined;
}

export interface CommitUploadResult {
  readonly fileId: string;
  readonly mediaUrl: string;
  readonly coverUrl?: string | undefined;
  readonly requestId: string;
}

export type ManifestType = 'm3u8' | 'mpd';

export interface ParseManifestInput {
  readonly content: string;
  readonly manifestType: ManifestType;
}

export interface ParsedManifest {
  /** Every file the manifest references, as the server listed them (not yet checked). */
  readonly segments: readonly string[];
  readonly requestId: string;
}

export interface SetCoverInput {
  readonly fileId: string;
  readonly subAppId?: number | undefined;
  /** The image (VOD takes jpeg, png or gif); sent base64-encoded as `CoverData`. */
  readonly image: Uint8Array;
}

export interface SetCoverResult {
  readonly coverUrl: string;
  readonly requestId: string;
}
