import type { Writable } from 'node:stream';

/**
 * The port to object storage (COS): one bucket in one region, with one set of credentials. The
 * pipeline stores each file with `putObject` when it fits in one part, otherwise with a multipart
 * upload it either completes or aborts. What an upload stored but never committed is removed with
 * `deleteObject`.
 *
 * Every method rejects with a `VodError`. Faults a retry may cure (5xx, connection reset, timeout)
 * are marked transient (see `isTransientError`); 4xx answers are not.
 */
export interface ObjectStore {
  readonly bucket: string;
  readonly region: string;
  putObject(input: PutObjectInput): Promise<StoredObject>;
  createMultipartUpload(input: ObjectKeyInput): Promise<{ readonly uploadId: string }>;
  uploadPart(input: UploadPartInput): Promise<UploadedPart>;
  completeMultipartUpload(input: CompleteMultipartInput): Promise<StoredObject>;
  abortMultipartUpload(input: MultipartRef): Promise<void>;
  /** Removes the object; removing a key that holds nothing succeeds (as COS answers it: 204). */
  deleteObject(input: ObjectKeyInput): Promise<void>;
  listParts(input: MultipartRef): Promise<readonly ListedPart[]>;
  /** The ids of every multipart upload open on exactly this key (none: an empty list). */
  listMultipartUploads(input: ObjectKeyInput): Promise<readonly string[]>;
  /** Streams a stored object into `into` (with backpressure); resolves once it was all written. */
  getObject(input: GetObjectInput): Promise<void>;
}

export interface GetObjectInput extends ObjectKeyInput {
  readonly into: Writable;
}

export interface ObjectKeyInput {
  /** Object key without a leading `/`. */
  readonly key: string;
  readonly signal?: AbortSignal | undefined;
}

export interface PutObjectInput extends ObjectKeyInput {
  readonly body: Buffer;
}

export interface MultipartRef extends ObjectKeyInput {
  readonly uploadId: string;
}

export interface UploadPartInput extends MultipartRef {
  /** 1..10000 */
  readonly partNumber: number;
  readonly body: Buffer;
}

export interface UploadedPart {
  readonly partNumber: number;
  readonly etag: string;
}

export interface CompleteMultipartInput extends MultipartRef {
  /** Every part, in ascending part number. */
  readonly parts: readonly UploadedPart[];
}

export interface StoredObject {
  readonly etag: string;
  /** `x-cos-hash-crc64ecma`: CRC-64/XZ of the whole object as a decimal string, when the store sent it. */
  readonly crc64?: string | undefined;
  readonly requestId?: string | undefined;
}

export interface ListedPart {
  readonly partNumber: number;
  readonly etag: string;
  readonly size: number;
}

/** Credentials for the store: a temporary key (with token) or a permanent one. */
export interface StorageCredentials {
  readonly secretId: string;
  readonly secretKey: string;
  readonly token?: string | undefined;
}

/** A temporary key with its expiry (ApplyUpload's TempCertificate), as kept for a resume. */
export interface ExpiringCredentials extends StorageCredentials {
  readonly token: string;
  readonly expiresAt: Date;
}

/** Where a store points; enough to reopen it later (for example to abort an orphaned upload). */
export interface StorageTarget {
  readonly bucket: string;
  readonly region: string;
  readonly credentials: StorageCredentials;
}

export type ObjectStoreFactory = (target: StorageTarget) => ObjectStore;
