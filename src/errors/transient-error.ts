import { VodError, type VodErrorOptions } from './vod-error.ts';
import type { ErrorCode } from './error-codes.ts';

/**
 * A VodError for a fault that a later attempt may not meet: a transport failure, a 5xx, a reset
 * connection, a timeout. Adapters throw it; the pipeline's retry policy is the only reader.
 */
export class TransientVodError extends VodError {
  readonly transient = true;
  constructor(code: ErrorCode, message?: string, options: VodErrorOptions = {}) {
    super(code, message, options);
  }
}

/** True for errors a retry may cure. Matches on the field, not the class, like every error check here. */
export function isTransientError(error: unknown): boolean {
  return error instanceof Error && (error as { transient?: unknown }).transient === true;
}
