import { uploadDirect } from '../direct/ugc-client.ts';
import { CREATE_DIRECT_UPLOAD, type DirectSendOptions, type DirectSendResult, type DirectUploadFields, type DirectUploadGrant } from './direct-upload.ts';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { GraphQLTransport, type MultipartFile } from './graphql-transport.ts';
import { CLIENT_ERROR_CODES, IngestError, isIngestError } from './ingest-error.ts';
import {
  CANCEL_UPLOAD,
  FINAL_PROCESSING_STATUSES,
  GET_PROCESSED_UPLOAD,
  GET_UPLOAD,
  GET_UPLOAD_WITHOUT_RESUME,
  RESUME_UPLOAD,
  UPLOAD_MEDIA,
  type MediaUpload,
  type NamedBlob,
  type ProcessedUpload,
  type SegmentFile,
  type UploadFields,
  type UploadSnapshot,
} from './ingest-types.ts';
import { followProgress, type ProgressFeed } from './progress-feed.ts';

export interface IngestClientOptions {
  /** The service's GraphQL endpoint, e.g. `http://localhost:4000/graphql`. */
  readonly url: string;
  /** An API key (`npm run keys -- create`). */
  readonly key: string;
  /** A fetch implementation (default: the global one). */
  readonly fetch?: typeof fetch;
}

export interface UploadOptions extends UploadFields {
  readonly cover?: NamedBlob | undefined;
  /** HLS/DASH: every file the manifest (the media) references; nested playlists first. */
  readonly segments?: readonly SegmentFile[] | undefined;
}

/** What happens between the attempts of one upload, for logs and displays. */
export type UploadEvent =
  | { readonly type: 'retrying'; readonly id: string; readonly attempt: number; readonly delayMs: number; readonly code: string; readonly message: string }
  | { readonly type: 'resuming'; readonly id: string; readonly offset: number }
  | { readonly type: 'restarting'; readonly previousId: string; readonly id: string; readonly reason: string };

export interface UploadCallOptions {
  /** Snapshots from the `uploadProgress` subscription (about 1–10 a second). */
  readonly onProgress?: ((snapshot: UploadSnapshot) => void) | undefined;
  readonly onEvent?: ((event: UploadEvent) => void) | undefined;
  /** Aborting cancels the upload on the server (`cancelUpload`), then rejects with `RequestCanceled`. */
  readonly signal?: AbortSignal | undefined;
  /** Network failures survived by resuming or restarting (default 5); 0 fails on the first. */
  readonly retries?: number | undefined;
}

/** Codes of a FAILED record that say the connection, not the upload, went wrong: worth sending again. */
const RESTARTABLE_CODES = new Set(['RequestCanceled', 'Interrupted']);
const DEFAULT_RETRIES = 5;
/** The first look after a failure comes quickly: a cut connection is usually paused on the server at once. */
const FIRST_RETRY_MS = 200;
const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 15_000;
/** How long a broken upload may stay running on the server before the client gives up waiting. */
const SETTLE_TIMEOUT_MS = 120_000;
/** How long to wait for the progress subscription before sending anyway. */
const SUBSCRIBE_WAIT_MS = 5_000;
/** How long cancelUpload may take before the upload's connection is simply dropped. */
const CANCEL_WAIT_MS = 10_000;

type Step =
  | { readonly kind: 'send' }
  | { readonly kind: 'resume'; readonly offset: number }
  | { readonly kind: 'check' };

/**
 * A typed client of the vod-ingest GraphQL API for Node: streams files (any Blob; `fs.openAsBlob`
 * streams from disk) through `uploadMedia`, follows progress over SSE, and survives network
 * failures by resuming a PAUSED upload (`resumeUpload` from `resumableOffset`) or starting over.
 *
 *   const client = new IngestClient({ url: 'http://localhost:4000/graphql', key });
 *   const media = { name: 'Wildlife.mp4', blob: await openAsBlob('Wildlife.mp4') };
 *   const record = await client.upload(media, { procedure: 'my-flow' }, { onProgress: console.log });
 */
export class IngestClient {
  readonly #transport: GraphQLTransport;
  #serverHasResume = true;

  constructor(options: IngestClientOptions) {
    this.#transport = new GraphQLTransport(options.url, options.key, options.fetch);
  }

  /**
   * Uploads `media` (a file, or an HLS/DASH manifest with `options.segments`) and resolves with the
   * SUCCEEDED record. Rejects with an IngestError carrying the service's code.
   */
  async upload(media: NamedBlob, options: UploadOptions = {}, call: UploadCallOptions = {}): Promise<MediaUpload> {
    const retries = call.retries ?? DEFAULT_RETRIES;
    let id = options.id ?? randomUUID();
    let feed: ProgressFeed | undefined;
    const canResume = (options.segments ?? []).length === 0;
    // On abort: cancel on the server first (the record becomes CANCELED), then drop the connection.
    const inFlight = new AbortController();
    let cancelling: Promise<void> | undefined;
    const stopCancelling = onAbort(call.signal, () => {
      cancelling = withTimeout(this.cancel(id).catch(() => undefined), CANCEL_WAIT_MS).then(() => inFlight.abort());
    });
    const abortedError = async (cause?: unknown): Promise<IngestError> => {
      await cancelling;
      return new IngestError(CLIENT_ERROR_CODES.aborted, 'The upload was canceled.', { uploadId: id, cause });
    };
    try {
      let step: Step = { kind: 'send' };
      for (let attempt = 0; ; ) {
        if (isAborted(call.signal)) throw await abortedError();
        try {
          if (step.kind === 'check') {
            const decided = await this.#decide(id, canResume, call.signal);
            if ('record' in decided) return decided.record;
            if (decided.restartAs !== undefined) {
              call.onEvent?.({ type: 'restarting', previousId: id, id: decided.restartAs, reason: decided.reason });
              id = decided.restartAs;
            }
            step = decided.step;
            if (step.kind === 'resume') call.onEvent?.({ type: 'resuming', id, offset: step.offset });
          }
          if (call.onProgress !== undefined && (feed?.id !== id || !feed.active)) {
            feed?.close();
            feed = followProgress(this.#transport.endpoint, this.#transport.authorization, id, call.onProgress);
            await withTimeout(feed.ready, SUBSCRIBE_WAIT_MS);
          }
          return step.kind === 'resume'
            ? await this.#resume(id, media, { offset: step.offset, cover: options.cover }, inFlight.signal)
            : await this.#uploadOnce(id, media, options, inFlight.signal);
        } catch (error) {
          if (isAborted(call.signal)) throw await abortedError(error);
          if (!isIngestError(error)) throw error;
          if (step.kind === 'resume' && error.resumableOffset !== undefined && error.resumableOffset !== step.offset && attempt < retries) {
            attempt += 1;
            step = { kind: 'resume', offset: error.resumableOffset };
            call.onEvent?.({ type: 'resuming', id, offset: step.offset });
            continue;
          }
          if (!error.retryable || attempt >= retries) throw error;
          attempt += 1;
          const delayMs = backoff(attempt);
          call.onEvent?.({ type: 'retrying', id, attempt, delayMs, code: error.code, message: error.message });
          await sleep(delayMs, undefined, { signal: call.signal }).catch(() => undefined);
          step = { kind: 'check' };
        }
      }
    } finally {
      stopCancelling();
      feed?.close();
    }
  }

  /**
   * Continues a PAUSED upload: sends `media` from `offset` on (default: the record's
   * `resumableOffset`), and the cover when given.
   */
  async resume(
    id: string,
    media: NamedBlob,
    options: { readonly offset?: number | undefined; readonly cover?: NamedBlob | undefined; readonly signal?: AbortSignal | undefined } = {},
  ): Promise<MediaUpload> {
    let offset = options.offset;
    if (offset === undefined) {
      const record = await this.get(id, options.signal);
      if (record?.status !== 'PAUSED' || typeof record.resumableOffset !== 'number') {
        throw new IngestError('InvalidParameter', `Upload ${id} is ${record?.status ?? 'unknown'}, not PAUSED: nothing to resume.`, { uploadId: id });
      }
      offset = record.resumableOffset;
    }
    return this.#resume(id, media, { offset, cover: options.cover }, options.signal);
  }

  /** Aborts an in-flight or paused upload; resolves with its record once it has stopped. */
  /** A PENDING direct-upload record and the one-time signature Tencent's client SDKs upload with. */
  async createDirectUpload(fields: DirectUploadFields = {}, signal?: AbortSignal): Promise<DirectUploadGrant> {
    return this.#transport.request<DirectUploadGrant>('createDirectUpload', CREATE_DIRECT_UPLOAD, { input: fields }, signal);
  }

  /**
   * Sends a local file (and cover) straight to VOD with a signature from the service; the service
   * never sees the bytes. Resolves with VOD's answer and the record (PENDING until VOD's event).
   * VOD's refusals reject with a UgcApiError (its numeric code).
   */
  async uploadDirect(mediaPath: string, options: DirectSendOptions = {}): Promise<DirectSendResult> {
    const { cover, endpoints, onProgress, ...fields } = options;
    const grant = await this.createDirectUpload(fields);
    const files = { media: { path: mediaPath, name: fields.mediaName }, cover: cover === undefined ? undefined : { path: cover } };
    const sent = await uploadDirect(grant.signature, files, endpoints, onProgress);
    return { upload: grant.upload, ...sent };
  }

  async cancel(id: string, signal?: AbortSignal): Promise<MediaUpload> {
    return this.#transport.request<MediaUpload>('cancelUpload', CANCEL_UPLOAD, { id }, signal);
  }

  /**
   * Waits until VOD's task flow for a SUCCEEDED upload has ended (or none runs, or the media was
   * deleted) and resolves with the record and its processing. Polls the record (a lost connection
   * is retried); `onSnapshot` sees each new processing status.
   */
  async waitProcessed(
    id: string,
    options: { readonly signal?: AbortSignal; readonly pollMs?: number; readonly onSnapshot?: (upload: ProcessedUpload) => void } = {},
  ): Promise<ProcessedUpload> {
    let last: string | undefined;
    let failures = 0;
    for (;;) {
      let upload: ProcessedUpload;
      try {
        upload = await this.#transport.request<ProcessedUpload>('upload', GET_PROCESSED_UPLOAD, { id }, options.signal);
        failures = 0;
      } catch (error) {
        failures += 1;
        if (!isIngestError(error) || error.code !== CLIENT_ERROR_CODES.network || failures > 10) throw error;
        await sleep(Math.min(10_000, 500 * 2 ** failures), undefined, { signal: options.signal });
        continue;
      }
      if (upload.processing.status !== last) options.onSnapshot?.(upload);
      last = upload.processing.status;
      if (upload.status !== 'SUCCEEDED' || upload.deletedAt !== null || FINAL_PROCESSING_STATUSES.has(upload.processing.status)) return upload;
      await sleep(options.pollMs ?? 500, undefined, { signal: options.signal });
    }
  }

  /** The record of one of your uploads, or undefined when there is none with this id. */
  async get(id: string, signal?: AbortSignal): Promise<MediaUpload | undefined> {
    try {
      return await this.#transport.request<MediaUpload>('upload', this.#serverHasResume ? GET_UPLOAD : GET_UPLOAD_WITHOUT_RESUME, { id }, signal);
    } catch (error) {
      if (isIngestError(error) && error.code === 'ResourceNotFound') return undefined;
      if (this.#serverHasResume && isIngestError(error) && /resumable(Offset|Until)/.test(error.message)) {
        this.#serverHasResume = false; // a server from before resumable uploads
        return this.get(id, signal);
      }
      throw error;
    }
  }

  async #uploadOnce(id: string, media: NamedBlob, options: UploadOptions, signal: AbortSignal): Promise<MediaUpload> {
    const { cover, segments, ...fields } = options;
    const files: MultipartFile[] = [{ variablePath: 'input.media', ...media }];
    if (cover !== undefined) files.push({ variablePath: 'input.cover', ...cover });
    (segments ?? []).forEach((segment, i) => files.push({ variablePath: `input.segments.${i}.file`, ...segment.file }));
    const input = {
      ...withoutUndefined(fields),
      // The cover follows the media in the body: the service cannot wait for its name to learn its type.
      coverType: fields.coverType ?? (cover === undefined ? undefined : extensionOf(cover.name)),
      id,
      media: null,
      cover: cover === undefined ? undefined : null,
      segments: segments?.map((segment) => ({ path: segment.path, file: null })),
      mediaSize: media.blob.size,
    };
    return this.#transport.upload<MediaUpload>({ field: 'uploadMedia', query: UPLOAD_MEDIA, variables: { input } }, files, signal);
  }

  async #resume(id: string, media: NamedBlob, from: { offset: number; cover: NamedBlob | undefined }, signal?: AbortSignal): Promise<MediaUpload> {
    const { offset, cover } = from;
    const files: MultipartFile[] = [{ variablePath: 'input.media', name: media.name, blob: media.blob.slice(offset) }];
    if (cover !== undefined) files.push({ variablePath: 'input.cover', ...cover });
    const input = { id, offset, media: null, cover: cover === undefined ? undefined : null };
    return this.#transport.upload<MediaUpload>({ field: 'resumeUpload', query: RESUME_UPLOAD, variables: { input } }, files, signal);
  }

  /**
   * After a network failure: what became of the upload on the server, and what to do next. Waits
   * while the server still runs the broken request (it notices the lost connection shortly).
   */
  async #decide(
    id: string,
    canResume: boolean,
    signal: AbortSignal | undefined,
  ): Promise<{ record: MediaUpload } | { step: Step; restartAs?: string | undefined; reason: string }> {
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    for (let wait = 250; ; wait = Math.min(wait * 2, 4000)) {
      const record = await this.get(id, signal);
      if (record === undefined) return { step: { kind: 'send' }, reason: 'the server has no record of it' };
      switch (record.status) {
        case 'SUCCEEDED':
          return { record };
        case 'PAUSED':
          if (canResume && typeof record.resumableOffset === 'number') {
            return { step: { kind: 'resume', offset: record.resumableOffset }, reason: 'paused' };
          }
          // resumeUpload carries no segments: a manifest upload starts over; the paused one is let go.
          await this.cancel(id, signal).catch(() => undefined);
          return { step: { kind: 'send' }, restartAs: randomUUID(), reason: 'paused, but it cannot be resumed' };
        case 'FAILED':
          if (record.error !== null && RESTARTABLE_CODES.has(record.error.code)) {
            return { step: { kind: 'send' }, restartAs: randomUUID(), reason: `${record.error.code}: ${record.error.message}` };
          }
          throw new IngestError(record.error?.code ?? 'InternalError', record.error?.message ?? 'The upload failed.', { uploadId: id });
        case 'CANCELED':
          throw new IngestError('RequestCanceled', 'The upload was canceled.', { uploadId: id });
        case 'PENDING':
        case 'UPLOADING':
        case 'COMMITTING':
          if (Date.now() > deadline) {
            throw new IngestError(CLIENT_ERROR_CODES.network, `Upload ${id} is still ${record.status} on the server after the connection broke.`, {
              uploadId: id,
            });
          }
          await sleep(wait, undefined, { signal });
          break;
        default:
          throw new IngestError(CLIENT_ERROR_CODES.invalidResponse, `Upload ${id} has an unknown status ${String(record.status)}.`, { uploadId: id });
      }
    }
  }
}

/** Backoff with jitter: ~0.2 s, then 1 s, 2 s, 4 s, ... up to 15 s. */
function backoff(attempt: number): number {
  const base = attempt <= 1 ? FIRST_RETRY_MS : Math.min(FIRST_BACKOFF_MS * 2 ** (attempt - 1), MAX_BACKOFF_MS);
  return Math.round(base / 2 + Math.random() * (base / 2));
}

function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function onAbort(signal: AbortSignal | undefined, listener: () => void): () => void {
  if (signal === undefined) return () => undefined;
  if (signal.aborted) listener();
  else signal.addEventListener('abort', listener, { once: true });
  return () => signal.removeEventListener('abort', listener);
}

async function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  const timer = new AbortController();
  await Promise.race([promise, sleep(ms, undefined, { signal: timer.signal }).catch(() => undefined)]);
  timer.abort();
}

function extensionOf(fileName: string): string | undefined {
  const dot = fileName.lastIndexOf('.');
  return dot > 0 && dot < fileName.length - 1 ? fileName.slice(dot + 1).toLowerCase() : undefined;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
