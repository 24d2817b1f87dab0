import type { Hash } from 'node:crypto';
import { VodError } from '../errors/vod-error.ts';
import type { ObjectStore, StoredObject, UploadedPart } from '../storage/object-store.ts';
import type { BufferGauge } from './buffer-gauge.ts';
import { cancellationError, throwIfCanceled } from '../errors/cancellation.ts';
import { chunkParts, type Part } from './chunker.ts';
import { FileDigest } from './file-digest.ts';
import { uploadParts } from './part-uploader.ts';
import type { MemoryBudget } from './memory-budget.ts';
import { PartBufferPool } from './part-buffer-pool.ts';
import type { PartSizer } from './part-size.ts';
import { retryWithBackoff, type RetryPolicy } from './retry.ts';

/** A multipart upload in progress: enough to abort it later, from another process if need be. */
export interface MultipartUploadRef {
  readonly bucket: string;
  readonly region: string;
  readonly key: string;
  readonly uploadId: string;
}

/** `kept`: left open on purpose (a paused upload), to be continued or aborted later. */
export type MultipartOutcome = 'completed' | 'aborted' | 'abort-failed' | 'kept';

/** A part storage acknowledged, with where it ends in the file and the file's CRC-64 up to there. */
export interface StoredPart extends UploadedPart {
  readonly bytes: number;
  readonly endOffset: number;
  readonly crc64: string;
  /** The file's SHA-256 state up to there (in memory only; never stored). */
  readonly sha256?: Hash | undefined;
}

/** An open multipart upload to continue: its id and the parts kept (1..n, contiguous). */
export interface MultipartResumePoint {
  /** Undefined: no multipart upload was created yet; one is created (the file starts at offset 0). */
  readonly uploadId: string | undefined;
  readonly parts: readonly StoredPart[];
}

export interface ObjectUploadOptions {
  readonly store: ObjectStore;
  /** Object key without a leading `/`. */
  readonly key: string;
  readonly source: AsyncIterable<Uint8Array>;
  readonly sizer: PartSizer;
  /** The bytes the source is expected to hold, when known: a small file then takes a buffer of its size (see chunkParts). */
  readonly expectedBytes?: number | undefined;
  readonly concurrency: number;
  readonly retryPolicy: RetryPolicy;
  readonly signal?: AbortSignal | undefined;
  readonly gauge?: BufferGauge | undefined;
  /** Shared by every upload of the process: bounds the part buffers of all of them together. */
  readonly memoryBudget?: MemoryBudget | undefined;
  readonly onBytesRead?: ((bytes: number) => void) | undefined;
  readonly onBytesStored?: ((bytes: number) => void) | undefined;
  readonly onPartRetry?: ((partNumber: number, attempt: number) => void) | undefined;
  /**
   * Awaited before CreateMultipartUpload is sent: from here a multipart upload may be open on the
   * key, even one whose id never comes back (write-ahead for the cleanup).
   */
  readonly onMultipartCreating?: (() => void | Promise<void>) | undefined;
  /** Awaited after the multipart upload is created, before any part is sent. */
  readonly onMultipartCreated?: ((upload: MultipartUploadRef) => void | Promise<void>) | undefined;
  /** Awaited once the multipart upload is completed or aborted (or the abort failed). */
  readonly onMultipartFinished?:
    | ((upload: MultipartUploadRef, outcome: MultipartOutcome, error?: unknown) => void | Promise<void>)
    | undefined;
  /** Each part storage acknowledged (multipart only); what a resume needs. Not awaited. */
  readonly onPartStored?: ((part: StoredPart) => void) | undefined;
  /**
   * Asked when the multipart upload fails: true keeps it open (outcome `kept`) instead of aborting,
   * and lets the parts in flight finish first. The caller decides (client gone and resume enabled).
   */
  readonly keepOpenOnFailure?: ((error: unknown) => boolean) | undefined;
  /** Continue this multipart upload: `source` carries the file from the end of the kept parts on. */
  readonly resume?: MultipartResumePoint | undefined;
}

export interface StoredFileDigest {
  readonly bytes: number;
  /** Undefined for a resumed multipart upload (see FileDigest). */
  readonly sha256: string | undefined;
}

/** Part number → where it ends and the CRC-64 up to there, noted as parts are digested. */
type PartEnds = Map<number, Pick<StoredPart, 'bytes' | 'endOffset' | 'crc64' | 'sha256'>>;

/**
 * Stores one stream under one key. A stream that ends within its first part goes up with one
 * `putObject`; a longer one as a multipart upload that is either completed with every part or
 * aborted. The CRC-64 COS reports for the whole object must match the one computed here.
 */
export async function uploadObject(options: ObjectUploadOptions): Promise<StoredFileDigest> {
  const { resume } = options;
  const kept = resume?.parts ?? [];
  const last = kept.at(-1);
  const digest = new FileDigest(last === undefined ? undefined : { bytes: last.endOffset, crc64: last.crc64, sha256: last.sha256 });
  // One buffer per part in flight plus the one being filled: the memory bound, by construction.
  const pool = new PartBufferPool(options.concurrency + 1, options.memoryBudget);
  const chunked = chunkParts(options.source, {
    sizer: options.sizer,
    pool,
    gauge: options.gauge,
    onBytesRead: options.onBytesRead,
    onBytesCopied: (bytes) => digest.update(bytes),
    firstPartNumber: kept.length + 1,
    expectedBytes: kept.length === 0 ? options.expectedBytes : undefined,
  });
  // Noted only when someone records parts: an upload that cannot be resumed pays nothing for it.
  const ends: PartEnds | undefined = options.onPartStored === undefined ? undefined : new Map();
  const parts = notingEnds(chunked, digest, ends);
  try {
    if (resume !== undefined) {
      await uploadMultipart(options, parts, { digest, pool, ends });
    } else {
      const first = await parts.next();
      if (first.done === true) throw new VodError('InternalError', 'The chunker yielded no part.');
      const second = await parts.next();
      if (second.done === true) {
        await putWholeObject(options, first.value, digest, pool);
      } else {
        await uploadMultipart(options, prepend([first.value, second.value], parts), { digest, pool, ends });
      }
    }
    const { bytes, sha256 } = digest.finish();
    return { bytes, sha256 };
  } finally {
    await parts.return(undefined);
    await chunked.return(undefined);
    pool.close();
  }
}

async function putWholeObject(
  options: ObjectUploadOptions,
  part: Part,
  digest: FileDigest,
  pool: PartBufferPool,
): Promise<void> {
  const { store, key, signal } = options;
  try {
    const stored = await retryWithBackoff(() => store.putObject({ key, body: part.data, signal }), {
      policy: options.retryPolicy,
      signal,
    });
    const { crc64 } = digest.finish();
    checkCrc64(stored, crc64, key);
    options.onBytesStored?.(part.data.length);
  } finally {
    options.gauge?.release(part.data.length);
    pool.release(part.data);
  }
}

/** What one file's upload holds while its parts go up. */
interface FileState {
  readonly digest: FileDigest;
  readonly pool: PartBufferPool;
  readonly ends: PartEnds | undefined;
}

async function uploadMultipart(options: ObjectUploadOptions, parts: AsyncIterator<Part>, file: FileState): Promise<void> {
  const { digest, pool, ends } = file;
  const { store, key, signal } = options;
  const api = { policy: options.retryPolicy, signal };
  const existingId = options.resume?.uploadId;
  const uploadId = existingId ?? (await createMultipartUpload(options));
  const ref: MultipartUploadRef = { bucket: store.bucket, region: store.region, key, uploadId };
  const onPartStored = options.onPartStored;
  let completed: StoredObject;
  try {
    if (existingId === undefined) await options.onMultipartCreated?.(ref);
    const uploadedNow = await uploadParts({
      store,
      key,
      uploadId,
      parts,
      concurrency: options.concurrency,
      retryPolicy: options.retryPolicy,
      signal,
      onPartRetry: options.onPartRetry,
      onSourceError: options.keepOpenOnFailure === undefined ? 'abort' : 'settle',
      onPartUploaded:
        onPartStored === undefined || ends === undefined
          ? undefined
          : (uploaded) => {
              const end = ends.get(uploaded.partNumber);
              ends.delete(uploaded.partNumber);
              if (end !== undefined) onPartStored({ ...uploaded, ...end });
            },
      onPartSettled: (part, stored) => {
        options.gauge?.release(part.data.length);
        pool.release(part.data);
        if (stored) options.onBytesStored?.(part.data.length);
      },
    });
    throwIfCanceled(signal);
    const uploaded = [...(options.resume?.parts ?? []).map(({ partNumber, etag }) => ({ partNumber, etag })), ...uploadedNow];
    completed = await retryWithBackoff(
      () => store.completeMultipartUpload({ key, uploadId, parts: uploaded, signal }),
      api,
    );
  } catch (error) {
    const failure = signal?.aborted === true ? cancellationError(signal) : error;
    if (options.keepOpenOnFailure?.(failure) === true) {
      await options.onMultipartFinished?.(ref, 'kept', failure);
    } else {
      await abortQuietly(options, ref, failure);
    }
    throw failure;
  }
  await options.onMultipartFinished?.(ref, 'completed');
  checkCrc64(completed, digest.finish().crc64, key);
}

/** Aborts the multipart upload; an abort that fails is reported to the hook, never hidden from it. */
async function abortQuietly(options: ObjectUploadOptions, ref: MultipartUploadRef, cause: unknown): Promise<void> {
  try {
    await retryWithBackoff(() => options.store.abortMultipartUpload({ key: ref.key, uploadId: ref.uploadId }), {
      policy: options.retryPolicy,
    });
    await options.onMultipartFinished?.(ref, 'aborted', cause);
  } catch (abortError) {
    await options.onMultipartFinished?.(ref, 'abort-failed', abortError);
  }
}

function checkCrc64(stored: StoredObject, expected: string, key: string): void {
  if (stored.crc64 !== undefined && stored.crc64 !== expected) {
    throw new VodError(
      'InternalError',
      `Storage reported CRC-64 ${stored.crc64} for ${key}, but the bytes sent have ${expected}.`,
      { requestId: stored.requestId },
    );
  }
}

/**
 * Notes, when `ends` is given, where each part ends in the file and the checksums up to there, as
 * the part is pulled (the chunker has fed the digest exactly the bytes up to its end by then).
 */
async function* notingEnds(parts: AsyncIterator<Part>, digest: FileDigest, ends: PartEnds | undefined): AsyncGenerator<Part> {
  for (let next = await parts.next(); next.done !== true; next = await parts.next()) {
    ends?.set(next.value.partNumber, {
      bytes: next.value.data.length,
      endOffset: digest.bytes,
      crc64: digest.crc64SoFar(),
      sha256: digest.sha256SoFar(),
    });
    yield next.value;
  }
}

async function* prepend<T>(head: readonly T[], rest: AsyncIterator<T>): AsyncGenerator<T> {
  yield* head;
  for (let next = await rest.next(); next.done !== true; next = await rest.next()) yield next.value;
}

/**
 * CreateMultipartUpload, announced first. An attempt whose answer was lost may still have created an
 * upload (the COS SDK also repeats such requests on its own, unseen), so every other upload open on
 * the key is aborted: none is left behind once this one completes. The keys are the upload
 * session's own; listing is best effort (a key that may not list leaves the cleanup to the record).
 */
async function createMultipartUpload(options: ObjectUploadOptions): Promise<string> {
  const { store, key, signal } = options;
  const api = { policy: options.retryPolicy, signal };
  await options.onMultipartCreating?.();
  const { uploadId } = await retryWithBackoff(() => store.createMultipartUpload({ key, signal }), api);
  try {
    for (const stray of await store.listMultipartUploads({ key, signal })) {
      if (stray !== uploadId) await store.abortMultipartUpload({ key, uploadId: stray, signal });
    }
  } catch (error) {
    if (signal?.aborted === true) throw error;
  }
  return uploadId;
}
