import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { Config } from './config/config.ts';
import { ApiKeyRepository, type AuthenticatedTenant } from './db/api-key-repository.ts';
import type { Database } from './db/database.ts';
import { UploadRepository } from './db/upload-repository.ts';
import { UploadWriter } from './db/upload-writer.ts';
import { toVodError } from './errors/vod-error.ts';
import type { GraphQLContext } from './graphql/context.ts';
import { maskError } from './graphql/mask-error.ts';
import { schema } from './graphql/schema/index.ts';
import { authenticateRequest } from './http/authenticate.ts';
import { assertCsrfSafe, isMultipartRequest, parseMultipartOperations } from './http/graphql-multipart.ts';
import { runReadinessChecks, type ReadinessCheck } from './http/readiness.ts';
import { sendGraphQLError, sendJson } from './http/respond.ts';
import type { ServerContext } from './http/server-context.ts';
import { attachGraphQLWebSocket } from './http/websocket.ts';
import type { Logger } from './logging/logger.ts';
import { UploadMetrics } from './metrics/upload-metrics.ts';
import type { PipelineDependencies } from './pipeline/upload-pipeline.ts';
import type { UploadEventBus } from './uploads/upload-events.ts';
import { UploadService } from './uploads/upload-service.ts';

export interface AppDependencies {
  readonly config: Config;
  readonly db: Database;
  readonly logger: Logger;
  readonly pipeline: PipelineDependencies;
  readonly events: UploadEventBus;
  /** Names this process on the uploads it runs (see recovery). */
  readonly instanceId: string;
  /** Besides the database, what /readyz must find reachable (e.g. the VOD endpoint). */
  readonly readinessChecks?: readonly ReadinessCheck[];
}

export interface App {
  readonly server: http.Server;
  readonly apiKeys: ApiKeyRepository;
  readonly uploads: UploadService;
  readonly metrics: UploadMetrics;
  listen(port: number, host?: string): Promise<AddressInfo>;
  close(): Promise<void>;
}

const GRAPHQL_PATH = '/graphql';
/** What of a request's unread body is read and dropped after an early answer before the connection is cut. */
const UNREAD_BODY_DRAIN_MS = 5_000;
const UNREAD_BODY_DRAIN_BYTES = 64 * 1024 * 1024;

/** Builds the HTTP server (GraphQL over HTTP, SSE and WebSocket; health; metrics). Reads no environment. */
export function createApp(deps: AppDependencies): App {
  const { config, db, logger } = deps;
  const apiKeys = new ApiKeyRepository(db.prisma);
  const uploadReader = new UploadRepository(db.prisma);
  const metrics = new UploadMetrics();
  const uploadService = new UploadService({
    reader: uploadReader,
    writer: new UploadWriter(db.prisma),
    pubsub: deps.events.pubsub,
    pipeline: deps.pipeline,
    metrics,
    logger,
    instanceId: deps.instanceId,
    defaultRegion: config.vod.region,
    maxFileBytes: config.limits.maxFileBytes,
    resumeTtlMs: config.resume.ttlMs,
  });
  // Any instance fails the PAUSED uploads whose window ended and aborts their multipart uploads.
  const resumeSweep = setInterval(() => {
    uploadService.sweepExpiredPauses().catch((error: unknown) => logger.warn({ err: error }, 'sweep of expired paused uploads failed'));
  }, resumeSweepIntervalMs(config.resume.ttlMs)).unref();
  const readinessChecks: ReadinessCheck[] = [{ name: 'database', check: () => db.ping() }, ...(deps.readinessChecks ?? [])];

  const yoga: YogaServerInstance<ServerContext, GraphQLContext> = createYoga<ServerContext, GraphQLContext>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    multipart: false,
    landingPage: false,
    graphiql: { title: 'vod-ingest', headers: JSON.stringify({ Authorization: 'Bearer <your api key>' }) },
    // GraphiQL with its assets inlined: yoga's default page loads them from a CDN, which a
    // self-hosted service behind a firewall cannot reach. Loaded on the first page view only (9 MB).
    renderGraphiQL: async (options) => (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(options),
    maskedErrors: { maskError: (error) => maskError(error, logger) },
    logging: {
      debug: (...args) => logger.debug({ yoga: args }, 'yoga'),
      info: (...args) => logger.info({ yoga: args }, 'yoga'),
      warn: (...args) => logger.warn({ yoga: args }, 'yoga'),
      error: (...args) => logger.error({ yoga: args }, 'yoga'),
    },
    context: ({ tenant, requestId, signal }): GraphQLContext => ({
      tenantId: tenant.tenantId,
      requestId,
      uploads: uploadReader,
      uploadService,
      pubsub: deps.events.pubsub,
      signal,
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
    if (url.pathname === '/metrics') {
      const rendered = await metrics.render();
      res.writeHead(200, { 'content-type': rendered.contentType });
      res.end(rendered.body);
      return;
    }
    if (url.pathname !== GRAPHQL_PATH) return sendJson(res, 404, { error: 'Not found' });
    if (isGraphiQLPageRequest(req, url)) {
      await yoga(req, res, { requestId } as ServerContext);
      return;
    }
    // Whatever answers this request (a refusal, an early error), an unread body is dealt with once.
    settleUnreadBodyAfterResponse(req, res);
    let tenant: AuthenticatedTenant;
    try {
      tenant = await authenticateRequest(req, apiKeys);
      if (isMultipartRequest(req)) {
        assertCsrfSafe(req);
        await parseMultipartOperations(req, res, config.limits);
      }
    } catch (error) {
      if (!res.headersSent) sendGraphQLError(res, toVodError(error));
      return;
    }
    await yoga(req, res, { tenant, requestId, signal: clientGoneSignal(res) } as ServerContext);
  }

  const server = http.createServer({ requestTimeout: 0 }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error({ err: error }, 'request handler failed');
      if (!res.headersSent) sendGraphQLError(res, toVodError(error));
      else res.destroy();
    });
  });
  const webSocket = attachGraphQLWebSocket({ server, path: GRAPHQL_PATH, yoga, apiKeys, logger });

  return {
    server,
    apiKeys,
    uploads: uploadService,
    metrics,
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
      clearInterval(resumeSweep);
      await webSocket.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await yoga.dispose();
    },
  };
}

/**
 * When the answer goes out before the body was read (an early error, a refusal), the client is still
 * sending into a paused socket. Read and drop the rest so it can read the answer and reuse the
 * connection; past a budget of bytes or time, cut the connection instead of reading gigabytes.
 */
function settleUnreadBodyAfterResponse(req: IncomingMessage, res: ServerResponse): void {
  res.once('finish', () => {
    if (req.complete || req.destroyed) return;
    let dropped = 0;
    const cut = () => {
      if (!req.complete) req.destroy();
    };
    const timer = setTimeout(cut, UNREAD_BODY_DRAIN_MS).unref();
    req.once('end', () => clearTimeout(timer));
    req.once('close', () => clearTimeout(timer));
    req.on('data', (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > UNREAD_BODY_DRAIN_BYTES) cut();
    });
    req.unpipe();
    req.resume();
  });
}

/** A tenth of the resume window, between 1 s and 1 min: an expired upload waits little past its end. */
function resumeSweepIntervalMs(ttlMs: number): number {
  return Math.min(60_000, Math.max(1_000, Math.floor(ttlMs / 10)));
}

/** Aborts when the connection closes before the response was sent: the client went away. */
function clientGoneSignal(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  const single = Array.isArray(value) ? value[0] : value;
  return single !== undefined && /^[\w.-]{1,128}$/.test(single) ? single : undefined;
}

/** A browser asking for the GraphiQL page itself (not running an operation) needs no key. */
function isGraphiQLPageRequest(req: IncomingMessage, url: URL): boolean {
  return req.method === 'GET' && !url.searchParams.has('query') && (req.headers.accept ?? '').includes('text/html');
}
