/**
 * What an IngestClient call throws. `code` is the service's `extensions.code` (e.g. `AuthFailure`,
 * `InvalidParameterValue.MediaType`) or, for failures on the client's side, one of
 * {@link CLIENT_ERROR_CODES}. Match on `code`, not on `instanceof`.
 */
export class IngestError extends Error {
  override readonly name = 'IngestError';
  readonly code: string;
  /** The upload record the error concerns (`extensions.uploadId`), when there is one. */
  readonly uploadId: string | undefined;
  /** `extensions.resumableOffset`: the offset the server expects, on a resume at the wrong offset. */
  readonly resumableOffset: number | undefined;
  /** HTTP status of the answer; undefined when none arrived. */
  readonly httpStatus: number | undefined;
  /** A network failure or a transient server state: the upload may be resumed or retried. */
  readonly retryable: boolean;

  constructor(
    code: string,
    message: string,
    details: {
      readonly uploadId?: string | undefined;
      readonly resumableOffset?: number | undefined;
      readonly httpStatus?: number | undefined;
      readonly retryable?: boolean | undefined;
      readonly cause?: unknown;
    } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.uploadId = details.uploadId;
    this.resumableOffset = details.resumableOffset;
    this.httpStatus = details.httpStatus;
    this.retryable = details.retryable ?? false;
  }
}

/** Codes the client itself gives (the server's codes are listed in docs/errors.md). */
export const CLIENT_ERROR_CODES = {
  /** The server could not be reached, or the connection broke before an answer arrived. */
  network: 'NetworkError',
  /** The answer was not a GraphQL response. */
  invalidResponse: 'InvalidResponse',
  /** The caller's AbortSignal fired; the upload was canceled. */
  aborted: 'RequestCanceled',
} as const;

export function isIngestError(error: unknown): error is IngestError {
  return error instanceof Error && error.name === 'IngestError' && typeof (error as { code?: unknown }).code === 'string';
}
