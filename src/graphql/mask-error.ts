import { GraphQLError } from 'graphql';
import { isVodError, type VodError } from '../errors/vod-error.ts';
import type { Logger } from '../logging/logger.ts';

/**
 * The one place errors become what clients see. A VodError keeps its message and code
 * (`extensions.code`, plus `uploadId`/`requestId` where known); GraphQL's own errors (syntax,
 * validation, bad variables) pass unchanged; anything else is logged and answered as a bare
 * InternalError, so no internals leak.
 */
export function maskError(error: unknown, logger: Logger): Error {
  const original = error instanceof GraphQLError ? error.originalError : error;
  if (isVodError(original)) return vodErrorToGraphQL(original, error instanceof GraphQLError ? error : undefined);
  if (error instanceof GraphQLError && (original === undefined || original === null || original instanceof GraphQLError)) {
    return error;
  }
  logger.error({ err: original }, 'unexpected error while executing a GraphQL operation');
  const location = error instanceof GraphQLError ? error : undefined;
  return new GraphQLError('Internal error.', {
    nodes: location?.nodes,
    path: location?.path,
    extensions: { code: 'InternalError' },
  });
}

export function vodErrorToGraphQL(error: VodError, location?: GraphQLError): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: location?.nodes,
    path: location?.path,
    extensions: {
      code: error.code,
      ...(error.uploadId === undefined ? {} : { uploadId: error.uploadId }),
      ...(error.requestId === undefined ? {} : { requestId: error.requestId }),
      ...(error.resumableOffset === undefined ? {} : { resumableOffset: error.resumableOffset }),
    },
  });
}
