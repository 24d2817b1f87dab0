import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { GraphQLContext, ResolverServices } from '../graphql/context.ts';
import { maskError } from '../graphql/mask-error.ts';
import { useKeyUnlessIntrospection } from '../graphql/key-unless-introspection.ts';
import { queryLimitPlugins } from '../graphql/query-limits.ts';
import { schema } from '../graphql/schema/index.ts';
import { isClientError } from '../logging/error-severity.ts';
import type { Logger } from '../logging/logger.ts';
import { useAnswerCompression } from './answer-compression.ts';
import { GRAPHIQL_OPTIONS } from './graphiql.ts';
import type { GraphiQLPage } from './graphiql-page.ts';
import { fileBytesOf } from './multipart-file-bytes.ts';
import type { ServerContext } from './server-context.ts';
import { useInternalErrorAnswer, useMultipartFailureStatus } from './yoga-answer-plugins.ts';

export const GRAPHQL_PATH = '/graphql';
/** Not a UUID: matches no tenant's rows (and a query with it fails) should an unauthenticated resolver ever run. */
const NO_TENANT = 'no-tenant';

export type GraphQLServer = YogaServerInstance<ServerContext, GraphQLContext>;

export interface GraphQLServerDependencies extends ResolverServices {
  readonly logger: Logger;
  readonly graphiqlPage: GraphiQLPage;
}

/** graphql-yoga over the schema: limits, keys, error masking, compression, and the resolvers' context. */
export function createGraphQLServer(deps: GraphQLServerDependencies): GraphQLServer {
  const { logger, graphiqlPage, ...services } = deps;
  return createYoga<ServerContext, GraphQLContext>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    multipart: false,
    landingPage: false,
    plugins: [
      ...queryLimitPlugins(),
      useKeyUnlessIntrospection(),
      useInternalErrorAnswer(logger),
      useMultipartFailureStatus(),
      useAnswerCompression(),
    ],
    graphiql: GRAPHIQL_OPTIONS,
    // The page itself is served by graphiqlPage (compressed, with validators); yoga renders it only
    // for a browser's GET that carries a query, from the same rendering.
    renderGraphiQL: () => graphiqlPage.html(),
    maskedErrors: { maskError: (error) => maskError(error, logger) },
    logging: {
      debug: (...args) => logger.debug({ yoga: args }, 'yoga'),
      info: (...args) => logger.info({ yoga: args }, 'yoga'),
      warn: (...args) => logger.warn({ yoga: args }, 'yoga'),
      // yoga reports every error of an operation here; a client's mistake is not the service's fault.
      error: (...args) =>
        args.every(isClientError) ? logger.info({ yoga: args }, 'client error') : logger.error({ yoga: args }, 'yoga'),
    },
    // Without a tenant only introspection gets this far (useKeyUnlessIntrospection); a tenant id no
    // row can have keeps it that way should anything else slip through.
    context: ({ tenant, requestId, signal, req }): GraphQLContext => ({
      tenantId: tenant?.tenantId ?? NO_TENANT,
      requestId,
      requestFileBytes: fileBytesOf(req),
      ...services,
      signal,
      logger: logger.child({ requestId, tenant: tenant?.tenantName ?? '(no key)' }),
    }),
  });
}
