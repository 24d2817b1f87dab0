import { GraphQLError, type DocumentNode, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ERROR_CODE_INFO } from '../errors/error-codes.ts';
import type { VodError } from '../errors/vod-error.ts';
import { isIntrospectionOnly } from './introspection-only.ts';

/** What the HTTP layer hands yoga for a request whose key did not authenticate. */
export interface UnauthenticatedContext {
  readonly authFailure?: VodError;
}

/**
 * A request without a valid key may read the schema (GraphiQL's docs, code generators) and nothing
 * else: an operation whose parsed document is not introspection-only is answered with the
 * request's AuthFailure instead of being executed. (At execution, not at parse: yoga caches parse
 * results by document text, and a refusal must not be served to the next, keyed, request.)
 */
export function useKeyUnlessIntrospection(): Plugin<UnauthenticatedContext> {
  const refusal = (context: UnauthenticatedContext, document: DocumentNode): ExecutionResult | undefined => {
    const failure = context.authFailure;
    if (failure === undefined || isIntrospectionOnly(document)) return undefined;
    return {
      errors: [
        new GraphQLError(failure.message, {
          extensions: { code: failure.code, http: { status: ERROR_CODE_INFO[failure.code].http } },
        }),
      ],
    };
  };
  return {
    onExecute: ({ args, setResultAndStopExecution }) => {
      const refused = refusal(args.contextValue, args.document as DocumentNode);
      if (refused !== undefined) setResultAndStopExecution(refused);
    },
    onSubscribe: ({ args, setResultAndStopExecution }) => {
      const refused = refusal(args.contextValue, args.document as DocumentNode);
      if (refused !== undefined) setResultAndStopExecution(refused);
    },
  };
}
