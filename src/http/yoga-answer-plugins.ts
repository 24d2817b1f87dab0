import type { Plugin } from 'graphql-yoga';
import { ERROR_CODE_INFO } from '../errors/error-codes.ts';
import type { Logger } from '../logging/logger.ts';
import type { ServerContext } from './server-context.ts';

/**
 * A request whose multipart body went wrong after its operations were read (a malformed part, a
 * file that never came) is a bad request, whatever its resolvers then answer: the answer carries the
 * failure's HTTP status (400, 413, ...) instead of 200.
 */
export function useMultipartFailureStatus(): Plugin<Record<string, never>, ServerContext> {
  return {
    onResultProcess(payload) {
      const { serverContext, result } = payload;
      const failure = serverContext.multipart?.failure;
      if (failure === undefined || Array.isArray(result) || Symbol.asyncIterator in result) return;
      if ((result.errors?.length ?? 0) === 0) return;
      payload.setResult({ ...result, extensions: { ...result.extensions, http: { status: ERROR_CODE_INFO[failure.code].http } } });
    },
  };
}

/**
 * Whatever escapes yoga's own error handling (a throwing plugin or result processor) would be
 * answered by its server adapter with the error's stack as the body. Answer a bare InternalError
 * instead, and log the error.
 */
export function useInternalErrorAnswer(logger: Logger): Plugin<Record<string, never>, ServerContext> {
  return {
    onRequest(payload) {
      const { requestHandler, fetchAPI } = payload;
      payload.setRequestHandler(async (request, context) => {
        try {
          return await requestHandler(request, context);
        } catch (error) {
          logger.error({ err: error }, 'GraphQL request handler failed');
          return new fetchAPI.Response(JSON.stringify({ errors: [{ message: 'Internal error.', extensions: { code: 'InternalError' } }] }), {
            status: 500,
            headers: { 'content-type': 'application/json; charset=utf-8' },
          });
        }
      });
    },
  };
}
