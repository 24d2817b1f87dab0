import { GraphQLError } from 'graphql';
import { ERROR_CODE_INFO } from '../errors/error-codes.ts';
import { isVodError } from '../errors/vod-error.ts';

/**
 * Whether an error is the client's doing (bad input, an unknown id, a refused limit, a canceled or
 * abandoned request) rather than a fault of the service. Client errors are logged at `info`; only the
 * service's own faults reach `error`, so an alert on `error` means something. A VodError is the
 * client's when its code answers below 500 over HTTP; GraphQL's own errors (syntax, validation, bad
 * variables) are the client's; anything else is a fault.
 */
export function isClientError(error: unknown): boolean {
  if (error instanceof GraphQLError) {
    const original = error.originalError;
    if (original === undefined || original === null) return true;
    return original === error ? true : isClientError(original);
  }
  if (isVodError(error)) return ERROR_CODE_INFO[error.code].http < 500;
  return false;
}
