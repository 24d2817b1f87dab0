import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { Config } from './config/config.ts';
import { ApiKeyRepository, type AuthenticatedTenant } from './db/api-key-repository.ts';
import type { Database } from './db/database.ts';
import { UploadRepository } from './db/upload-repository.ts';
import { toVodError } from './errors/vod-error.ts';
import type { GraphQLContext } from './graphql/context.ts';
import { maskError } from './graphql/mask-error.ts';
import { schema } from './graphql/schema/index.ts';
import { authenticateRequest } from './http/authenticate.ts';
import { runReadinessChecks, type ReadinessCheck } from './http/readiness.ts';
import { sendGraphQLError, sendJson } from './http/respond.ts';
import type { Logger } from './logging/logger.ts';

export interface AppDependencies {
  readonly config: Config;
  readonly db: Database;
  readonly logger: Logger;
  /** Besides the database, what /readyz must find reachable (e.g. the VOD endpoint). */
  readonly readinessChecks?: readonly ReadinessCheck[];
}

export interface App {
  readonly server: http.Server;
  readonly apiKeys: ApiKeyRepository;
  listen(port: number, host?: string): Promise<AddressInfo>;
  close(): Promise<void>;
}

interface ServerContext {
  req: IncomingMessage;
  res: ServerResponse;
  tenant: AuthenticatedTenant;
  requestId: string;
}

const GRAPHQL_PATH = '/graphql';
/** How long a refused request's unread body may keep its connection before it is cut. */
const UNREAD_BODY_GRACE_MS = 200;

/** Builds the HTTP server (GraphQL, health, readiness). Touches no environment and listens on nothing yet. */
export function createApp(deps: AppDependencies): App {
  const { db, logger } = deps;
  const apiKeys = new ApiKeyRepository(db.prisma);
  const uploads = new UploadRepository(db.prisma);
  const readinessChecks: ReadinessCheck[] = [{ name: 'database', check: () => db.ping() }, ...(deps.readinessChecks ?? [])];

  const yoga: YogaServerInstance<ServerContext, GraphQLContext> = createYoga<ServerContext, GraphQLContext>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    multipart: false,
    landingPage: false,
    graphiql: { title: 'vod-ingest', headers: JSON.stringify({ Authorization: 'Bearer <your api key>' }) },
    maskedErrors: { maskError: (error) => maskError(error, logger) },
    logging: {
      debug: (...args) => logger.debug({ yoga: args }, 'yoga'),
      info: (...args) => logger.info({ yoga: args }, 'yoga'),
      warn: (...args) => logger.warn({ yoga: args }, 'yoga'),
      error: (...args) => logger.error({ yoga: args }, 'yoga'),
    },
    context: ({ tenant, requestId }): GraphQLContext => ({
      tenantId: tenant.tenantId,
      requestId,
      uploads,
      logger: logger.child({ requestId, tenant: tenant.tenantName }),
    }),
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = headerValue(req.headers['x-request-id']) ?? randomUUID();
    res.setHeader('x-request-id', requestId);
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (url.pathname === '/readyz') {
      const report = await runReadinessChecks(readinessChecks);
      return sendJson(res, report.ready ? 200 : 503, report);
    }
    if (url.pathname !== GRAPHQL_PATH) return sendJson(res, 404, { error: 'Not found' });
    if (isGraphiQLPageRequest(req, url)) {
      await yoga(req, res, { requestId } as ServerContext);
      return;
    }
    let tenant: AuthenticatedTenant;
    try {
      tenant = await authenticateRequest(req, apiKeys);
    } catch (error) {
      return refuse(req, res, error);
    }
    await yoga(req, res, { tenant, requestId } as ServerContext);
  }

  function refuse(req: IncomingMessage, res: ServerResponse, error: unknown): void {
    if (!req.complete) {
      res.setHeader('connection', 'close');
      res.once('finish', () => setTimeout(() => req.complete || req.destroy(), UNREAD_BODY_GRACE_MS).unref());
    }
    sendGraphQLError(res, toVodError(error));
  }

  const server = http.createServer({ requestTimeout: 0 }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error({ err: error }, 'request handler failed');
      if (!res.headersSent) sendGraphQLError(res, toVodError(error));
      else res.destroy();
    });
  });

  return {
    server,
    apiKeys,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      });
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await yoga.dispose();
    },
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  const single = Array.isArray(value) ? value[0] : value;
  return single !== undefined && /^[\w.-]{1,128}$/.test(single) ? single : undefined;
}

/** A browser asking for the GraphiQL page itself (not running an operation) needs no key. */
function isGraphiQLPageRequest(req: IncomingMessage, url: URL): boolean {
  return (
    req.method === 'GET' &&
    !url.searchParams.has('query') &&
    (req.headers.accept ?? '').includes('text/html')
  );
}
