import { createHash } from 'node:crypto';
import { VodError, toVodError } from '../errors/vod-error.ts';
import type { ExpiringCredentials, ObjectStore, ObjectStoreFactory, StorageCredentials } from '../storage/object-store.ts';
import type { CommitUploadResult, UploadSession, VodApi } from '../vod/vod-api.ts';
import type { BufferGauge } from './buffer-gauge.ts';
import { cancellationError, throwIfCanceled } from '../errors/cancellation.ts';
import type { MemoryBudget } from './memory-budget.ts';
import { uploadObject, type MultipartOutcome, type MultipartUploadRef, type StoredPart } from './object-upload.ts';
import { PartSizer, maxPartBytesWithin } from './part-size.ts';
import { coverTypeOf, SETTABLE_COVER_TYPES } from './cover-type.ts';
import { ProgressTracker, type FileCounter, type FileRole, type ProgressListener } from './progress.ts';
import { API_RETRY_POLICY, PART_RETRY_POLICY, retryWithBackoff, type RetryPolicy } from './retry.ts';
import type { SegmentSources, UploadSource } from './sources.ts';
import { planFiles, type PlannedFile } from './upload-plan.ts';
import { extensionOf, normalizeUploadRequest, type UploadRequest, type UploadRequestInput } from './upload-request.ts';

/** The caller's request fields; file names come from the sources. */
export type MediaUploadFields = Omit<UploadRequestInput, 'mediaFileName' | 'coverFileName' | 'hasCover'>;

export interface MediaUploadInput {
  readonly fields: MediaUploadFields;
  /** The media file, or the top HLS/DASH manifest (read into memory, within `manifestBytesLimit`). */
  readonly media: UploadSource;
  /**
   * The cover. When its type is known before ApplyUpload (`fields.coverType`, or an extension in its
   * file name) it is stored where ApplyUpload says; otherwise it is read after the media (within
   * `lateCoverBytesLimit`), its type taken from its name once opened, else its magic bytes, and it is
   * set after CommitUpload with ModifyMediaInfo, so the media streams without waiting for it.
   */
  readonly cover?: UploadSource | undefined;
  /** For a manifest: the files it references. See `SegmentSources` for the order rule. */
  readonly segments?: SegmentSources | undefined;
  /** Expected media size, if known; only sizes parts, within what the memory budget can serve (a wrong hint costs nothing but part size). */
  readonly mediaSizeHint?: number | undefined;
  /** The most bytes any one file of the request can hold (all of its files together, from its Content-Length), if known. */
  readonly fileBytesAtMost?: number | undefined;
}

export interface PipelineSettings {
  /** Part size; bytes held per file are at most partBytes × (concurrency + 1). */
  readonly partBytes: number;
  /** Parts in flight per file when the request does not say (ConcurrentUploadNumber). */
  readonly defaultConcurrency: number;
  /** Bytes held before ApplyUpload: manifests and what is read ahead of them. Default 8 MiB. */
  readonly manifestBytesLimit?: number | undefined;
  readonly partRetry?: RetryPolicy | undefined;
  readonly apiRetry?: RetryPolicy | undefined;
  /** Bounds the part buffers of all uploads that share it (one per process); none: per-file bounds only. */
  readonly memoryBudget?: MemoryBudget | undefined;
  /** Least time between two byte-progress reports. Default 250 ms. */
  readonly progressIntervalMs?: number | undefined;
  /** Bytes a cover set after the commit may have (held in memory, sent base64 in one API call). Default 5 MiB. */
  readonly lateCoverBytesLimit?: number | undefined;
}

export interface PipelineDependencies {
  /** The VOD API of an access region. */
  readonly vodApiFor: (region: string) => VodApi;
  readonly openObjectStore: ObjectStoreFactory;
  /** Used for storage when ApplyUpload grants no temporary key (as the seed SDK does). */
  readonly fallbackCredentials: StorageCredentials;
  readonly settings: PipelineSettings;
}

/** What ApplyUpload granted, for the caller to record before anything is stored. */
export interface AppliedUpload {
  readonly region: string;
  readonly vodSessionKey: string;
  readonly storageBucket: string;
  readonly storageRegion: string;
  readonly mediaStoragePath: string;
  readonly coverStoragePath?: string | undefined;
  readonly requestId: string;
  /** The session's temporary storage key when ApplyUpload granted one with an expiry (secret: never log it). */
  readonly sessionCredentials?: ExpiringCredentials | undefined;
  /**
   * The objects the upload is going to write whose names are known now (the media, the segments,
   * a cover already read); none of them is written before onApplied has resolved. Each is still
   * announced by onObjectStarting before it is written.
   */
  readonly objects: ReadonlyArray<{ readonly role: FileRole; readonly path: string; readonly key: string }>;
}

/** A multipart upload of one file, with enough to abort it after a restart. */
export interface FileMultipartUpload extends MultipartUploadRef {
  readonly role: FileRole;
  readonly path: string;
}

/**
 * Side effects the caller wires in (the GraphQL layer writes them to its database). Awaited hooks
 * run before the pipeline goes on; a hook that throws fails the upload (and aborts what is open).
 */
export interface UploadHooks {
  readonly onProgress?: ProgressListener | undefined;
  readonly onApplied?: ((applied: AppliedUpload) => void | Promise<void>) | undefined;
  /** Awaited before anything of a file is written to storage (PUT or multipart): its key may hold data from here on. */
  readonly onObjectStarting?: ((file: { role: FileRole; path: string; key: string }) => void | Promise<void>) | undefined;
  /** Awaited before CreateMultipartUpload is sent: a multipart upload may be open on the key from here on. */
  readonly onMultipartCreating?: ((file: { role: FileRole; path: string; key: string }) => void | Promise<void>) | undefined;
  readonly onMultipartCreated?: ((upload: FileMultipartUpload) => void | Promise<void>) | undefined;
  /** `abort-failed` carries the abort's error: the upload is still open and must be aborted later. */
  readonly onMultipartFinished?:
    | ((upload: FileMultipartUpload, outcome: MultipartOutcome, error?: unknown) => void | Promise<void>)
    | undefined;
  readonly onFileStored?: ((file: StoredFile) => void | Promise<void>) | undefined;
  /**
   * CommitUpload succeeded and work remains (setting a late cover): the FileId is VOD's now, whatever
   * happens next, so a failure after this can still say which file was committed.
   */
  readonly onCommitted?: ((commit: CommitUploadResult) => void | Promise<void>) | undefined;
  /** Resumable uploads: each media part storage acknowledged (not awaited; the caller queues its writes). */
  readonly onMediaPartStored?: ((part: StoredPart) => void) | undefined;
  /**
   * Resumable uploads: asked when the media's multipart upload fails; true keeps it open (the parts
   * in flight finish first) so the upload can be PAUSED and resumed. Never asked for a manifest.
   */
  readonly keepMediaOpenOnFailure?: ((error: unknown) => boolean) | undefined;
  /** A part is sent again after a transient storage fault (for metrics). */
  readonly onPartRetry?: ((file: { role: FileRole; path: string }, partNumber: number, attempt: number) => void) | undefined;
}

export interface UploadOptions {
  /** Cancels every stage; the upload then fails with `RequestCanceled` or the reason's own VodError code. */
  readonly signal?: AbortSignal | undefined;
  readonly hooks?: UploadHooks | undefined;
  /** Instrumentation: counts source bytes held in memory. */
  readonly gauge?: BufferGauge | undefined;
}

export interface StoredFile {
  readonly role: FileRole;
  /** Media/cover file name, or the segment's path relative to the manifest. */
  readonly path: string;
  /** Object key in the bucket, without a leading `/`. */
  readonly key: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface MediaUploadResult {
  readonly fileId: string;
  readonly mediaUrl: string;
  readonly coverUrl?: string | undefined;
  /** The cover's type, when it was found only after ApplyUpload (from the late cover's name or bytes). */
  readonly coverType?: string | undefined;
  /** RequestId of the last VOD call: CommitUpload, or ModifyMediaInfo for a late cover. */
  readonly requestId: string;
  readonly files: readonly StoredFile[];
}

const DEFAULT_MANIFEST_BYTES_LIMIT = 8 * 1024 * 1024;
/** Base64 makes it 6.7 MB: within the 10 MB a Tencent Cloud API request may carry. */
const DEFAULT_LATE_COVER_BYTES_LIMIT = 5 * 1024 * 1024;

/**
 * True when the cover's type cannot be known before ApplyUpload: no `coverType` and no extension in
 * a file name known up front. Such a cover is set after CommitUpload (see `MediaUploadInput.cover`).
 */
export function coverComesLate(input: Pick<MediaUploadInput, 'fields' | 'cover'>): boolean {
  if (input.cover === undefined) return false;
  return (input.fields.coverType ?? '').trim() === '' && extensionOf(input.cover.fileName) === undefined;
}

/**
 * Uploads a media file (with its cover, or a manifest with its segments) to VOD: checks the request,
 * parses manifests, ApplyUpload, stores every file, CommitUpload. Rejects with a VodError; on any
 * failure no multipart upload is left open (or `onMultipartFinished` says so) and nothing is
 * committed. Returns only when all work it started has finished.
 */
export async function uploadMedia(
  input: MediaUploadInput,
  deps: PipelineDependencies,
  options: UploadOptions = {},
): Promise<MediaUploadResult> {
  const { signal } = options;
  try {
    throwIfCanceled(signal);
    return await runUpload(input, deps, options);
  } catch (error) {
    throw signal?.aborted === true ? cancellationError(signal) : toVodError(error);
  }
}

async function runUpload(
  input: MediaUploadInput,
  deps: PipelineDependencies,
  options: UploadOptions,
): Promise<MediaUploadResult> {
  const request = normalizeUploadRequest({
    ...input.fields,
    mediaFileName: input.media.fileName,
    coverFileName: input.cover?.fileName,
    // A late cover is not applied for: it is set after the commit.
    hasCover: input.cover !== undefined && !coverComesLate(input),
  });
  const progress = new ProgressTracker(options.hooks?.onProgress, deps.settings.progressIntervalMs ?? 250);
  try {
    return await uploadWithProgress({ input, deps, options, request, progress });
  } finally {
    progress.close();
  }
}

async function uploadWithProgress(args: {
  input: MediaUploadInput;
  deps: PipelineDependencies;
  options: UploadOptions;
  request: UploadRequest;
  progress: ProgressTracker;
}): Promise<MediaUploadResult> {
  const { input, deps, options, request, progress } = args;
  const { signal, hooks = {} } = options;
  const { settings } = deps;
  const apiRetry = settings.apiRetry ?? API_RETRY_POLICY;
  progress.setPhase('applying');
  const vod = deps.vodApiFor(request.region);
  const plan = await planFiles({
    media: input.media,
    cover: input.cover,
    segments: input.segments,
    manifestType: request.manifestType,
    vod,
    apiRetry,
    manifestBytesLimit: settings.manifestBytesLimit ?? DEFAULT_MANIFEST_BYTES_LIMIT,
    signal,
  });
  throwIfCanceled(signal);
  const session = await callApi(() => vod.applyUpload(request.apply, { signal }), apiRetry, signal);
  const lateCover = coverComesLate(input);
  const known = plan.filter((file) => file.role !== 'COVER' || (!lateCover && input.cover?.fileName !== undefined));
  await hooks.onApplied?.(appliedUpload(request, session, known.map((file) => ({ role: file.role, path: file.path, key: keyFor(file, session) }))));

  progress.setPhase('uploading');
  const store = deps.openObjectStore({
    bucket: session.storageBucket,
    region: session.storageRegion,
    credentials: session.tempCertificate ?? deps.fallbackCredentials,
  });
  const files: StoredFile[] = [];
  let heldCover: HeldCover | undefined;
  for (const file of plan) {
    if (file.role === 'COVER' && lateCover) {
      heldCover = await holdLateCover(file, input, settings.lateCoverBytesLimit ?? DEFAULT_LATE_COVER_BYTES_LIMIT, progress);
      continue;
    }
    const stored = await storeFile({ file, key: keyFor(file, session), store, request, input, deps, options, progress });
    files.push(stored);
    await hooks.onFileStored?.(stored);
  }

  throwIfCanceled(signal);
  progress.setPhase('committing');
  const subAppId = request.apply.subAppId;
  const commit = await callApi(
    () => vod.commitUpload({ vodSessionKey: session.vodSessionKey, subAppId }, { signal }),
    apiRetry,
    signal,
  );
  if (heldCover === undefined) {
    return { fileId: commit.fileId, mediaUrl: commit.mediaUrl, coverUrl: commit.coverUrl, requestId: commit.requestId, files };
  }
  await hooks.onCommitted?.(commit);
  const cover = await callApi(
    () => vod.setCover({ fileId: commit.fileId, subAppId, image: heldCover.bytes }, { signal }),
    apiRetry,
    signal,
  );
  heldCover.counter.stored(heldCover.bytes.length);
  const stored: StoredFile = {
    role: 'COVER',
    path: heldCover.path,
    key: objectKeyOfUrl(cover.coverUrl),
    bytes: heldCover.bytes.length,
    sha256: createHash('sha256').update(heldCover.bytes).digest('hex'),
  };
  files.push(stored);
  await hooks.onFileStored?.(stored);
  return {
    fileId: commit.fileId,
    mediaUrl: commit.mediaUrl,
    coverUrl: cover.coverUrl,
    coverType: heldCover.type,
    requestId: cover.requestId,
    files,
  };
}

interface HeldCover {
  readonly path: string;
  readonly type: string;
  readonly bytes: Buffer;
  readonly counter: FileCounter;
}

/**
 * Reads a late cover into memory (it goes base64 into ModifyMediaInfo) and checks, before anything
 * is committed, that it is small enough and of a type ModifyMediaInfo takes.
 */
async function holdLateCover(file: PlannedFile, input: MediaUploadInput, limit: number, progress: ProgressTracker): Promise<HeldCover> {
  const source = await file.read();
  const counter = progress.startFile('COVER', file.path);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of source) {
    size += chunk.byteLength;
    if (size > limit) {
      throw new VodError(
        'LimitExceeded',
        `A cover sent after the media without coverType is set after the commit and may be at most ${limit} bytes; give coverType, or send the cover first.`,
      );
    }
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    counter.read(chunk.byteLength);
  }
  const bytes = Buffer.concat(chunks);
  const type = await coverTypeOf(input.cover?.fileName, bytes);
  if (type === undefined || !SETTABLE_COVER_TYPES.has(type)) {
    throw new VodError(
      'InvalidParameterValue.CoverType',
      `The cover ${type === undefined ? 'is of no known image type' : `is ${type}`}: a cover sent after the media without coverType is set after the commit, which takes jpeg, png or gif only; give coverType, or send the cover first.`,
    );
  }
  counter.finish();
  return { path: file.path, type, bytes, counter };
}

/** Where VOD put a cover it stored itself: the path of its URL, without the leading `/`. */
function objectKeyOfUrl(url: string): string {
  try {
    return decodeURIComponent(new URL(url).pathname).replace(/^\/+/, '');
  } catch {
    return url;
  }
}

interface StoreFileArgs {
  readonly file: PlannedFile;
  readonly key: string;
  readonly store: ObjectStore;
  readonly request: UploadRequest;
  readonly input: MediaUploadInput;
  readonly deps: PipelineDependencies;
  readonly options: UploadOptions;
  readonly progress: ProgressTracker;
}

async function storeFile(args: StoreFileArgs): Promise<StoredFile> {
  const { file, key, store, request, deps, options, progress } = args;
  const { hooks = {}, signal } = options;
  // Opened first: a file that arrives late has its name only then.
  const source = await file.read();
  const counter = progress.startFile(file.role, file.path);
  await hooks.onObjectStarting?.({ role: file.role, path: file.path, key });
  const named = (upload: MultipartUploadRef): FileMultipartUpload => ({ ...upload, role: file.role, path: file.path });
  const onCreating = hooks.onMultipartCreating;
  const onCreated = hooks.onMultipartCreated;
  const onFinished = hooks.onMultipartFinished;
  const budget = deps.settings.memoryBudget;
  // Only a plain media file is resumable: an HLS/DASH upload fails as a whole, as before.
  const resumable = file.role === 'MEDIA' && request.manifestType === undefined;
  const digest = await uploadObject({
    store,
    key,
    source,
    onPartStored: resumable ? hooks.onMediaPartStored : undefined,
    keepOpenOnFailure: resumable ? hooks.keepMediaOpenOnFailure : undefined,
    expectedBytes: expectedFileBytes(file.role, args.input),
    sizer: new PartSizer(deps.settings.partBytes, {
      sizeHint: file.role === 'MEDIA' ? args.input.mediaSizeHint : undefined,
      // A hint (true or not) grows parts only as far as the shared budget can serve them fairly.
      maxPartBytes: budget === undefined ? undefined : maxPartBytesWithin(budget.capacity, deps.settings.partBytes),
    }),
    concurrency: request.concurrentUploadNumber ?? deps.settings.defaultConcurrency,
    retryPolicy: deps.settings.partRetry ?? PART_RETRY_POLICY,
    signal,
    gauge: options.gauge,
    memoryBudget: deps.settings.memoryBudget,
    onBytesRead: counter.read,
    onBytesStored: counter.stored,
    onPartRetry: (partNumber, attempt) => hooks.onPartRetry?.({ role: file.role, path: file.path }, partNumber, attempt),
    onMultipartCreating: onCreating === undefined ? undefined : () => onCreating({ role: file.role, path: file.path, key }),
    onMultipartCreated: onCreated === undefined ? undefined : (upload) => onCreated(named(upload)),
    onMultipartFinished:
      onFinished === undefined ? undefined : (upload, outcome, error) => onFinished(named(upload), outcome, error),
  });
  counter.finish();
  if (digest.sha256 === undefined) throw new VodError('InternalError', `No SHA-256 for ${file.path}.`);
  return { role: file.role, path: file.path, key, bytes: digest.bytes, sha256: digest.sha256 };
}

/** Media and cover go to the paths VOD assigned; segments keep their layout below the media's directory. */
/** What a file is expected to hold: for the media the client's hint, within the bound the request gives every file. */
function expectedFileBytes(role: FileRole, input: MediaUploadInput): number | undefined {
  const { mediaSizeHint: hint, fileBytesAtMost: most } = input;
  if (role !== 'MEDIA' || hint === undefined) return most;
  return most === undefined ? hint : Math.min(hint, most);
}

export function keyFor(file: PlannedFile, session: UploadSession): string {
  switch (file.role) {
    case 'MEDIA':
      return withoutLeadingSlash(session.mediaStoragePath);
    case 'COVER':
      if (session.coverStoragePath === undefined || session.coverStoragePath === '') {
        throw new VodError('InternalError', 'ApplyUpload granted no cover storage path.');
      }
      return withoutLeadingSlash(session.coverStoragePath);
    case 'SEGMENT': {
      const media = withoutLeadingSlash(session.mediaStoragePath);
      const slash = media.lastIndexOf('/');
      return slash < 0 ? file.path : `${media.slice(0, slash)}/${file.path}`;
    }
  }
}

export function withoutLeadingSlash(path: string): string {
  return path.replace(/^\/+/, '');
}

/** ApplyUpload/CommitUpload: retried only for transport faults (no RequestId), with backoff. */
export function callApi<T>(call: () => Promise<T>, policy: RetryPolicy, signal: AbortSignal | undefined): Promise<T> {
  return retryWithBackoff(call, { policy, signal });
}

function appliedUpload(request: UploadRequest, session: UploadSession, objects: AppliedUpload['objects']): AppliedUpload {
  return {
    region: request.region,
    vodSessionKey: session.vodSessionKey,
    storageBucket: session.storageBucket,
    storageRegion: session.storageRegion,
    mediaStoragePath: session.mediaStoragePath,
    coverStoragePath: session.coverStoragePath,
    requestId: session.requestId,
    sessionCredentials: expiringCredentials(session.tempCertificate),
    objects,
  };
}

/** A temporary key without an expiry is not kept: a resume could not tell whether it still works. */
function expiringCredentials(certificate: UploadSession['tempCertificate']): ExpiringCredentials | undefined {
  if (certificate?.expiredTime === undefined) return undefined;
  const { secretId, secretKey, token, expiredTime } = certificate;
  return { secretId, secretKey, token, expiresAt: new Date(expiredTime * 1000) };
}

