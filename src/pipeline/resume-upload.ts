import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { cancellationError, throwIfCanceled } from '../errors/cancellation.ts';
import { VodError, toVodError } from '../errors/vod-error.ts';
import type { ObjectStore, StorageCredentials } from '../storage/object-store.ts';
import { uploadObject, type StoredPart } from './object-upload.ts';
import { PartSizer, maxPartBytesWithin } from './part-size.ts';
import { ProgressTracker } from './progress.ts';
import { API_RETRY_POLICY, PART_RETRY_POLICY } from './retry.ts';
import { openSource, type UploadSource } from './sources.ts';
import {
  callApi,
  type MediaUploadResult,
  type PipelineDependencies,
  type StoredFile,
  type UploadOptions,
} from './upload-pipeline.ts';

/** What a paused upload left behind (from the database), and the bytes the client sends now. */
export interface ResumeMediaInput {
  readonly region: string;
  readonly subAppId?: number | undefined;
  readonly concurrentUploadNumber?: number | undefined;
  readonly vodSessionKey: string;
  readonly storageBucket: string;
  readonly storageRegion: string;
  /** The key storage is written with (the session's temporary key while valid); default `fallbackCredentials`. */
  readonly storageCredentials?: StorageCredentials | undefined;
  readonly media: {
    readonly path: string;
    /** Object key, without a leading `/`. */
    readonly key: string;
    /** Undefined: the pause came before the multipart upload was created (offset 0). */
    readonly uploadId: string | undefined;
    /** Parts 1..n kept, contiguous; the media continues at the last one's `endOffset` (0 without any). */
    readonly parts: readonly StoredPart[];
    /** The media from that offset to its end. */
    readonly rest: UploadSource;
    readonly sizeHint?: number | undefined;
  };
  /** Sent again on every resume (a cover is small); stored whole at `key`. */
  readonly cover?: { readonly path: string; readonly key: string; readonly source: UploadSource } | undefined;
}

/**
 * Continues a PAUSED media upload on any instance: uploads the rest of the media into the kept
 * multipart upload (part numbers go on after the kept ones), completes it with every part, checks
 * COS's CRC-64 of the whole object against the kept CRC continued over the new bytes, stores the
 * cover, and commits the VOD session.
 *
 * The SHA-256 of the whole media continues from the state at the offset when the process that
 * paused the upload runs the resume (the last kept part carries it); otherwise it is computed by
 * reading the completed object back: node's SHA-256 state cannot be carried across processes, and
 * an exportable one (hash-wasm, 9× slower here) would slow down every upload that is never
 * interrupted. Only uploads resumed on another process pay for the read.
 *
 * Storage is written with `storageCredentials`: the session's temporary key while it is valid (on
 * Tencent VOD only it may write to VOD's bucket), else the service's own key (`fallbackCredentials`);
 * a new ApplyUpload would open a different session.
 */
export async function resumeMediaUpload(
  input: ResumeMediaInput,
  deps: PipelineDependencies,
  options: UploadOptions = {},
): Promise<MediaUploadResult> {
  const { signal } = options;
  const progress = new ProgressTracker(options.hooks?.onProgress, deps.settings.progressIntervalMs ?? 250);
  try {
    throwIfCanceled(signal);
    return await runResume(input, deps, options, progress);
  } catch (error) {
    throw signal?.aborted === true ? cancellationError(signal) : toVodError(error);
  } finally {
    progress.close();
  }
}

async function runResume(
  input: ResumeMediaInput,
  deps: PipelineDependencies,
  options: UploadOptions,
  progress: ProgressTracker,
): Promise<MediaUploadResult> {
  const { signal, hooks = {} } = options;
  const { settings } = deps;
  const store = deps.openObjectStore({
    bucket: input.storageBucket,
    region: input.storageRegion,
    credentials: input.storageCredentials ?? deps.fallbackCredentials,
  });
  const concurrency = input.concurrentUploadNumber ?? settings.defaultConcurrency;
  const partRetry = settings.partRetry ?? PART_RETRY_POLICY;
  progress.setPhase('uploading');

  const { media } = input;
  const offset = media.parts.at(-1)?.endOffset ?? 0;
  const counter = progress.startFile('MEDIA', media.path);
  // Progress goes on from where the paused upload stopped.
  counter.read(offset);
  counter.stored(offset);
  const named = { role: 'MEDIA' as const, path: media.path };
  const onCreating = hooks.onMultipartCreating;
  const onCreated = hooks.onMultipartCreated;
  const onFinished = hooks.onMultipartFinished;
  const digest = await uploadObject({
    store,
    key: media.key,
    source: await openSource(() => media.rest.open(), signal),
    // The same part sizes as the interrupted run (same settings, same hint): the kept parts line up.
    sizer: new PartSizer(settings.partBytes, {
      sizeHint: media.sizeHint,
      maxPartBytes: settings.memoryBudget === undefined ? undefined : maxPartBytesWithin(settings.memoryBudget.capacity, settings.partBytes),
    }),
    concurrency,
    retryPolicy: partRetry,
    signal,
    gauge: options.gauge,
    memoryBudget: settings.memoryBudget,
    onBytesRead: counter.read,
    onBytesStored: counter.stored,
    onPartRetry: (partNumber, attempt) => hooks.onPartRetry?.(named, partNumber, attempt),
    onPartStored: hooks.onMediaPartStored,
    keepOpenOnFailure: hooks.keepMediaOpenOnFailure,
    resume: { uploadId: media.uploadId, parts: media.parts },
    onMultipartCreating: onCreating === undefined ? undefined : () => onCreating({ ...named, key: media.key }),
    onMultipartCreated: onCreated === undefined ? undefined : (upload) => onCreated({ ...upload, ...named }),
    onMultipartFinished:
      onFinished === undefined ? undefined : (upload, outcome, error) => onFinished({ ...upload, ...named }, outcome, error),
  });
  // The SHA-256 went on from the paused state when this process held it; else read the object back.
  const sha256 = digest.sha256 ?? (await readBackSha256(store, media.key, digest.bytes, signal));
  counter.finish();
  const files: StoredFile[] = [{ ...named, key: media.key, bytes: digest.bytes, sha256 }];
  await hooks.onFileStored?.(files[0]!);

  if (input.cover !== undefined) {
    const cover = input.cover;
    const coverCounter = progress.startFile('COVER', cover.path);
    const stored = await uploadObject({
      store,
      key: cover.key,
      source: await openSource(() => cover.source.open(), signal),
      sizer: new PartSizer(settings.partBytes),
      concurrency,
      retryPolicy: partRetry,
      signal,
      gauge: options.gauge,
      memoryBudget: settings.memoryBudget,
      onBytesRead: coverCounter.read,
      onBytesStored: coverCounter.stored,
    });
    coverCounter.finish();
    if (stored.sha256 === undefined) throw new VodError('InternalError', `No SHA-256 for ${cover.path}.`);
    const coverFile: StoredFile = { role: 'COVER', path: cover.path, key: cover.key, bytes: stored.bytes, sha256: stored.sha256 };
    files.push(coverFile);
    await hooks.onFileStored?.(coverFile);
  }

  throwIfCanceled(signal);
  progress.setPhase('committing');
  const vod = deps.vodApiFor(input.region);
  const commit = await callApi(
    () => vod.commitUpload({ vodSessionKey: input.vodSessionKey, subAppId: input.subAppId }, { signal }),
    settings.apiRetry ?? API_RETRY_POLICY,
    signal,
  );
  return { fileId: commit.fileId, mediaUrl: commit.mediaUrl, coverUrl: commit.coverUrl, requestId: commit.requestId, files };
}

/** SHA-256 of a stored object, read back once; its length must be what was stored. */
async function readBackSha256(store: ObjectStore, key: string, bytes: number, signal: AbortSignal | undefined): Promise<string> {
  const hash = createHash('sha256');
  let read = 0;
  const into = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      read += chunk.length;
      callback();
    },
  });
  await store.getObject({ key, into, signal });
  if (read !== bytes) {
    throw new VodError('InternalError', `Reading ${key} back gave ${read} bytes, but ${bytes} were stored.`);
  }
  return hash.digest('hex');
}
