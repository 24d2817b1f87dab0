import { Readable } from 'node:stream';
import COS from 'cos-nodejs-sdk-v5';
import { VodError } from '../errors/vod-error.ts';
import type { ErrorCode } from '../errors/error-codes.ts';
import { cancellationError } from '../errors/cancellation.ts';
import { TransientVodError } from '../errors/transient-error.ts';
import { parseEndpoint } from '../vod/endpoint.ts';
import type {
  CompleteMultipartInput,
  GetObjectInput,
  ListedPart,
  MultipartRef,
  ObjectKeyInput,
  ObjectStore,
  PutObjectInput,
  StorageTarget,
  StoredObject,
  UploadPartInput,
  UploadedPart,
} from './object-store.ts';

export interface CosObjectStoreOptions extends StorageTarget {
  /** Endpoint override such as `http://127.0.0.1:9000`; requests keep the real virtual-host Host header. */
  readonly endpoint?: string | undefined;
  /** Milliseconds before a request times out; a timeout is a transient fault. Default 60 s. */
  readonly timeoutMs?: number | undefined;
}

/**
 * ObjectStore over cos-nodejs-sdk-v5. Bodies go out as streams over an in-memory part, which makes
 * them cancellable (destroying the stream aborts the request) and keeps the SDK from retrying on its
 * own: retries are the pipeline's, with backoff.
 */
export function createCosObjectStore(options: CosObjectStoreOptions): ObjectStore {
  const cos = createSdkClient(options);
  const { bucket, region } = options;
  const where = { Bucket: bucket, Region: region };
  return {
    bucket,
    region,
    async putObject(input: PutObjectInput): Promise<StoredObject> {
      const result = await withBody(input, 'PutObject', (Body) =>
        cos.putObject({ ...where, Key: input.key, Body, ContentLength: input.body.length }),
      );
      return storedObject(result.ETag, result.headers);
    },
    async createMultipartUpload(input: ObjectKeyInput): Promise<{ uploadId: string }> {
      const result = await attempt(input, 'InitiateMultipartUpload', () => cos.multipartInit({ ...where, Key: input.key }));
      if (result.UploadId === '') throw new VodError('InternalError', 'COS returned no UploadId.');
      return { uploadId: result.UploadId };
    },
    async uploadPart(input: UploadPartInput): Promise<UploadedPart> {
      const result = await withBody(input, `UploadPart ${input.partNumber}`, (Body) =>
        cos.multipartUpload({
          ...where,
          Key: input.key,
          UploadId: input.uploadId,
          PartNumber: input.partNumber,
          Body,
          ContentLength: input.body.length,
        }),
      );
      return { partNumber: input.partNumber, etag: result.ETag };
    },
    async completeMultipartUpload(input: CompleteMultipartInput): Promise<StoredObject> {
      const Parts = input.parts.map((part) => ({ PartNumber: part.partNumber, ETag: part.etag }));
      const result = await attempt(input, 'CompleteMultipartUpload', () =>
        cos.multipartComplete({ ...where, Key: input.key, UploadId: input.uploadId, Parts }),
      );
      return storedObject(result.ETag, result.headers);
    },
    async abortMultipartUpload(input: MultipartRef): Promise<void> {
      await attempt(input, 'AbortMultipartUpload', () =>
        cos.multipartAbort({ ...where, Key: input.key, UploadId: input.uploadId }),
      );
    },
    async deleteObject(input: ObjectKeyInput): Promise<void> {
      try {
        await attempt(input, 'DeleteObject', () => cos.deleteObject({ ...where, Key: input.key }));
      } catch (error) {
        // Gone already is what was asked for.
        if (error instanceof VodError && error.code === 'ResourceNotFound') return;
        throw error;
      }
    },

    async getObject(input: GetObjectInput): Promise<void> {
      await attempt(input, 'GetObject', () => cos.getObject({ ...where, Key: input.key, Output: input.into }));
    },
    async listParts(input: MultipartRef): Promise<readonly ListedPart[]> {
      const parts: ListedPart[] = [];
      let marker: string | undefined;
      for (;;) {
        const page = await attempt(input, 'ListParts', () =>
          cos.multipartListPart({ ...where, Key: input.key, UploadId: input.uploadId, PartNumberMarker: marker }),
        );
        for (const part of page.Part) {
          parts.push({ partNumber: Number(part.PartNumber), etag: part.ETag, size: Number(part.Size) });
        }
        if (String(page.IsTruncated) !== 'true' || page.NextPartNumberMarker === undefined) return parts;
        marker = String(page.NextPartNumberMarker);
      }
    },
    async listMultipartUploads(input: ObjectKeyInput): Promise<readonly string[]> {
      const ids: string[] = [];
      let keyMarker: string | undefined;
      let uploadIdMarker: string | undefined;
      for (;;) {
        const page = await attempt(input, 'ListMultipartUploads', () =>
          cos.multipartList({ ...where, Prefix: input.key, Delimiter: '', KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
        );
        // The prefix also matches longer keys: only this key's uploads count.
        for (const upload of listOf(page.Upload)) if (upload.Key === input.key) ids.push(upload.UploadId);
        if (String(page.IsTruncated) !== 'true' || page.NextKeyMarker === undefined || page.NextKeyMarker > input.key) return ids;
        keyMarker = page.NextKeyMarker;
        uploadIdMarker = page.NextUploadIdMarker;
      }
    },
  };
}

function createSdkClient(options: CosObjectStoreOptions): COS {
  const endpoint = options.endpoint === undefined ? undefined : parseEndpoint(options.endpoint);
  return new COS({
    SecretId: options.credentials.secretId,
    SecretKey: options.credentials.secretKey,
    SecurityToken: options.credentials.token ?? '',
    Timeout: options.timeoutMs ?? 60_000,
    ...(endpoint === undefined ? {} : { Ip: endpoint.host, Protocol: `${endpoint.scheme}:` }),
  });
}

/** Sends an in-memory body as a stream the signal can destroy mid-request. */
async function withBody<T>(
  input: ObjectKeyInput & { readonly body: Buffer },
  operation: string,
  send: (body: Readable) => Promise<T>,
): Promise<T> {
  return attempt(input, operation, () => {
    const body = bodyOf(input.body);
    const { signal } = input;
    if (signal === undefined) return send(body);
    const destroy = (): void => {
      body.destroy(cancellationError(signal));
    };
    signal.addEventListener('abort', destroy, { once: true });
    return send(body).finally(() => signal.removeEventListener('abort', destroy));
  });
}

/**
 * A stream of one buffer that lets go of it once read or destroyed. The COS SDK's keep-alive
 * sockets keep the options of the request that opened them, body stream included, for as long as
 * they live: a stream that still held its part buffer would keep 8 MiB alive per idle socket.
 */
function bodyOf(buffer: Buffer): Readable {
  let pending: Buffer | undefined = buffer;
  return new Readable({
    read() {
      const chunk = pending;
      pending = undefined;
      if (chunk !== undefined && chunk.length > 0) this.push(chunk);
      this.push(null);
    },
    destroy(error, callback) {
      pending = undefined;
      callback(error);
    },
  });
}

async function attempt<T>(input: ObjectKeyInput, operation: string, run: () => Promise<T>): Promise<T> {
  const { signal } = input;
  if (signal !== undefined) throwIfAborted(signal);
  try {
    return await run();
  } catch (error) {
    if (signal !== undefined) throwIfAborted(signal);
    throw translateCosError(error, `${operation} of ${input.key}`);
  }
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw cancellationError(signal);
}

function storedObject(etag: string | undefined, headers: Record<string, string> | undefined): StoredObject {
  return {
    etag: etag ?? '',
    crc64: headers?.['x-cos-hash-crc64ecma'],
    requestId: headers?.['x-cos-request-id'],
  };
}

const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * COS errors become VodErrors: 5xx, resets and timeouts are transient; 4xx are not, and map to the
 * nearest of our codes with COS's own code kept in the message.
 */
export function translateCosError(error: unknown, what: string): VodError {
  const fields = (error ?? {}) as {
    code?: unknown;
    statusCode?: unknown;
    message?: unknown;
    RequestId?: unknown;
    headers?: Record<string, unknown>;
  };
  const message = typeof fields.message === 'string' ? fields.message : String(error);
  const code = typeof fields.code === 'string' ? fields.code : '';
  const status = typeof fields.statusCode === 'number' ? fields.statusCode : undefined;
  const requestIdValue = fields.RequestId ?? fields.headers?.['x-cos-request-id'];
  const requestId = typeof requestIdValue === 'string' && requestIdValue !== '' ? requestIdValue : undefined;
  const text = `COS ${what} failed${status === undefined ? '' : ` (${status}${code === '' ? '' : ` ${code}`})`}: ${message}`;
  const isTransient =
    (status !== undefined && status >= 500) ||
    TRANSIENT_NETWORK_CODES.has(code) ||
    /socket hang up|timeout|ECONNRESET/i.test(message) ||
    (status === undefined && code !== 'Error');
  if (isTransient) return new TransientVodError('InternalError', text, { requestId, cause: error });
  return new VodError(cosCodeToErrorCode(code, status), text, { requestId, cause: error });
}

function cosCodeToErrorCode(code: string, status: number | undefined): ErrorCode {
  if (status === 401 || status === 403 || /AccessDenied|Signature|AccessKey|Token|Expired/i.test(code)) return 'AuthFailure';
  if (status === 404 || /^NoSuch/.test(code)) return 'ResourceNotFound';
  if (/TooLarge|TooMany|LimitExceeded/i.test(code)) return 'LimitExceeded';
  if (status !== undefined && status >= 400 && status < 500) return 'InvalidParameter';
  return 'InternalError';
}

/** The SDK gives one XML element as an object and several as an array. */
function listOf<T>(value: T | readonly T[] | undefined): readonly T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}
