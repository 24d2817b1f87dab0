import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { GraphQLError, type DocumentNode, type ExecutionArgs, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { YogaServerInstance } from 'graphql-yoga';
import type { ApiKeyRepository, AuthenticatedTenant } from '../db/api-key-repository.ts';
import { bearerToken } from '../auth/api-key.ts';
import { isVodError } from '../errors/vod-error.ts';
import type { GraphQLContext } from '../graphql/context.ts';
import { MAX_JSON_BODY_BYTES } from '../graphql/query-limits.ts';
import type { Logger } from '../logging/logger.ts';
import { authenticateKey } from './authenticate.ts';
import type { ServerContext } from './server-context.ts';

export interface WebSocketOptions {
  readonly server: Server;
  readonly path: string;
  readonly yoga: YogaServerInstance<ServerContext, GraphQLContext>;
  readonly apiKeys: ApiKeyRepository;
  readonly logger: Logger;
  /** A connection that has not sent connection_init (with its key) by then is closed (4408). */
  readonly connectionInitTimeoutMs: number;
  /** Ping interval; a connection that does not answer a ping within as long is dropped. */
  readonly keepAliveMs: number;
  /** Connections past the server's cap are refused (503) instead of upgraded. */
  readonly isOverCapacity?: ((socket: Socket) => boolean) | undefined;
}

interface ConnectionExtra extends Record<PropertyKey, unknown> {
  tenant?: AuthenticatedTenant;
  closed?: AbortController;
}

/** The parts of yoga's envelop that graphql-ws needs (yoga types them loosely). */
interface Enveloped {
  schema: GraphQLSchema;
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
  contextFactory: () => Promise<unknown>;
  parse: (source: string) => DocumentNode;
  validate: (schema: GraphQLSchema, document: DocumentNode) => readonly GraphQLError[];
}

type EnvelopedArgs = ExecutionArgs & {
  rootValue: { execute: (args: ExecutionArgs) => unknown; subscribe: (args: ExecutionArgs) => unknown };
};

/**
 * GraphQL over WebSocket (the graphql-ws protocol) on the same path, through the same yoga
 * plugins and context as HTTP. The key comes in the connection_init payload
 * (`{ "Authorization": "Bearer <key>" }`) or in the upgrade request's Authorization header.
 */
export function attachGraphQLWebSocket(options: WebSocketOptions): { close(): Promise<void> } {
  const wss = new WebSocketServer({
    server: options.server,
    path: options.path,
    // One message carries one operation: the same size limit as a JSON body (ws would take 100 MiB).
    maxPayload: MAX_JSON_BODY_BYTES,
    verifyClient: (info, callback) => {
      if (options.isOverCapacity?.(info.req.socket) === true) callback(false, 503, 'Too many connections', { 'retry-after': '1' });
      else callback(true);
    },
  });
  const disposable = useServer<Record<string, unknown> | undefined, ConnectionExtra>(
    {
      // A socket that never says who it is, or stops answering pings, does not hold a connection.
      connectionInitWaitTimeout: options.connectionInitTimeoutMs,
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const header = stringParam(params, 'authorization') ?? ctx.extra.request.headers.authorization;
        try {
          ctx.extra.tenant = await authenticateKey(bearerToken(header) ?? stringParam(params, 'apiKey'), options.apiKeys);
        } catch (error) {
          if (isVodError(error)) return false;
          throw error;
        }
        const closed = new AbortController();
        ctx.extra.socket.once('close', () => closed.abort());
        ctx.extra.closed = closed;
        return true;
      },
      execute: (args) => (args as EnvelopedArgs).rootValue.execute(args) as never,
      subscribe: (args) => (args as EnvelopedArgs).rootValue.subscribe(args) as never,
      onSubscribe: async (ctx, _id, params) => {
        const { tenant, closed } = ctx.extra;
        if (tenant === undefined || closed === undefined) return [];
        const serverContext = {
          req: ctx.extra.request,
          tenant,
          requestId: randomUUID(),
          signal: closed.signal,
        } as unknown as ServerContext;
        const { schema, execute, subscribe, contextFactory, parse, validate } = options.yoga.getEnveloped({
          ...serverContext,
          params,
        }) as Enveloped;
        // A refused document (syntax, a query limit) is the client's error, answered on this subscription.
        let document: DocumentNode;
        let errors: readonly GraphQLError[];
        try {
          document = parse(params.query);
          errors = validate(schema, document);
        } catch (error) {
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
        if (errors.length > 0) return [...errors];
        const args: EnvelopedArgs = {
          schema,
          document,
          operationName: params.operationName,
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        return args;
      },
    },
    wss,
    options.keepAliveMs,
  );
  return {
    async close() {
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

function stringParam(params: Record<string, unknown>, name: string): string | undefined {
  const entry = Object.entries(params).find(([key]) => key.toLowerCase() === name.toLowerCase());
  return typeof entry?.[1] === 'string' ? entry[1] : undefined;
}
