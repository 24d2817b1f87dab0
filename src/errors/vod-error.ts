import { ERROR_CODE_INFO, isErrorCode, type ErrorCode } from './error-codes.ts';

export interface VodErrorOptions {
  readonly requestId?: string | undefined;
  readonly uploadId?: string | undefined;
  /** ResumeOffsetMismatch: the offset a resume must start at. */
  readonly resumableOffset?: number | undefined;
  readonly cause?: unknown;
}

/**
 * The one error type of the service. Match on `code`, not on `instanceof`: two copies of a module
 * can be loaded, and errors cross process boundaries as plain data.
 */
export class VodError extends Error {
  override readonly name = 'VodError';
  readonly code: ErrorCode;
  readonly requestId: string | undefined;
  readonly uploadId: string | undefined;
  readonly resumableOffset: number | undefined;

  constructor(code: ErrorCode, message?: string, options: VodErrorOptions = {}) {
    super(message ?? ERROR_CODE_INFO[code].meaning, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.requestId = options.requestId;
    this.uploadId = options.uploadId;
    this.resumableOffset = options.resumableOffset;
  }

  /** A copy that also names the upload record it concerns. */
  withUploadId(uploadId: string): VodError {
    return new VodError(this.code, this.message, {
      requestId: this.requestId,
      uploadId,
      resumableOffset: this.resumableOffset,
      cause: this.cause,
    });
  }
}

export function isVodError(error: unknown): error is VodError {
  return (
    error instanceof Error &&
    (error as { name?: unknown }).name === 'VodError' &&
    isErrorCode((error as { code?: unknown }).code)
  );
}

/** Anything thrown becomes a VodError; what is not one already is an InternalError. */
export function toVodError(error: unknown): VodError {
  if (isVodError(error)) return error;
  return new VodError('InternalError', undefined, { cause: error });
}
