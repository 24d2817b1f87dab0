import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { Config } from './config/config.ts';
import { ApiKeyRepository, type AuthenticatedTenant } from './db/api-key-repository.ts';
import type { Database } from './db/database.ts';
import { UploadRepository } from './db/upload-repository.ts';
import { UploadWriter } from './db/upload-writer.ts';
import { sessionCredentialSeal } from './auth/secret-seal.ts';
import { isVodError, toVodError, VodError } from './errors/vod-error.ts';
import type { GraphQLContext } from './graphql/context.ts';
import { maskError } from './graphql/mask-error.ts';
import { useKeyUnlessIntrospection } from './graphql/key-unless-introspection.ts';
import { MAX_JSON_BODY_BYTES, queryLimitPlugins } from './graphql/query-limits.ts';
import { schema } from './graphql/schema/index.ts';
import { authenticateRequest } from './http/authenticate.ts';
import { GRAPHIQL_OPTIONS } from './http/graphiql.ts';
import { createGraphiQLPage } from './http/graphiql-page.ts';
import { useAnswerCompression } from './http/answer-compression.ts';
import { assertCsrfSafe, isMultipartRequest, parseMultipartOperations, type MultipartBody } from './http/graphql-multipart.ts';
import { readJsonBody } from './http/json-body.ts';
import { fileBytesOf } from './http/multipart-file-bytes.ts';
import { runReadinessChecks, type ReadinessCheck } from './http/readiness.ts';
import { ConnectionCap } from './http/connection-cap.ts';
import { closeConnectionAfterAnswer, startRequestDeadline } from './http/request-deadline.ts';
import { sendGraphQLError, sendJson } from './http/respond.ts';
import { TenantUploadSlots } from './http/tenant-upload-slots.ts';
import { UploadBodyWatch } from './http/upload-body-watch.ts';
import { isUploadPagePath, serveUploadPage } from './http/upload-page.ts';
import type { ServerContext } from './http/server-context.ts';
import { attachGraphQLWebSocket } from './http/websocket.ts';
import { isClientError } from './logging/error-severity.ts';
import { useInternalErrorAnswer, useMultipartFailureStatus } from './http/yoga-answer-plugins.ts';
import type { Logger } from './logging/logger.ts';
import { UploadMetrics } from './metrics/upload-metrics.ts';
import type { PipelineDependencies } from './pipeline/upload-pipeline.ts';
import type { UploadEventBus } from './uploads/upload-events.ts';
import { UploadService } from './uploads/upload-service.ts';
import { StorageCleanupRepository } from './db/storage-cleanup-repository.ts';
import { StorageCleaner } from './uploads/storage-cleaner.ts';

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
  /**
   * Graceful stop. At once: /readyz answers 503 and new uploads are refused (ServiceUnavailable).
   * Uploads in flight get `graceMs` (default 0) to finish, or until `hurry` aborts; the rest are
   * interrupted cleanly (see UploadService.drain). Then WebSocket clients are closed with 1001
   * (going away), answers still being written get a short while, and the server closes.
   */
  close(options?: CloseOptions): Promise<void>;
}

export interface CloseOptions {
  readonly graceMs?: number | undefined;
  readonly hurry?: AbortSignal | undefined;
}

const GRAPHQL_PATH = '/graphql';
/** Not a UUID: matches no tenant's rows (and a query with it fails) should an unauthenticated resolver ever run. */
const NO_TENANT = 'no-tenant';
/** What of a request's unread body is read and dropped after an early answer before the connection is cut. */
const UNREAD_BODY_DRAIN_MS = 5_000;
const UNREAD_BODY_DRAIN_BYTES = 64 * 1024 * 1024;
/** After a timeout, how long the work of the request may take to answer (an upload cleans up first). */
const TIMED_OUT_ANSWER_GRACE_MS = 10_000;
/** What a refused client is told to wait before trying again. */
const RETRY_AFTER_SECONDS = 1;
/** At close, after the uploads have settled: how long answers still being written (and streams) may take. */
const RESPONSE_LINGER_MS = 3_000;

/** Builds the HTTP server (GraphQL over HTTP, SSE and WebSocket; health; metrics). Reads no environment. */
export function createApp(deps: AppDependencies): App {
  const { config, db, logger } = deps;
  const apiKeys = new ApiKeyRepository(db.prisma);
  const uploadReader = new UploadRepository(db.prisma);
  const metrics = new UploadMetrics();
  const credentialSeal = sessionCredentialSeal(config.resume.credentialsKey, deps.pipeline.fallbackCredentials.secretKey);
  const uploadService = new UploadService({
    reader: uploadReader,
    writer: new UploadWriter(db.prisma, db.schema, credentialSeal),
    pubsub: deps.events.pubsub,
    pipeline: deps.pipeline,
    metrics,
    logger,
    cleaner: new StorageCleaner({ queue: new StorageCleanupRepository(db.prisma, db.schema), pipeline: deps.pipeline, logger }),
    instanceId: deps.instanceId,
    defaultRegion: config.vod.region,
    maxFileBytes: config.limits.maxFileBytes,
    resumeTtlMs: config.resume.ttlMs,
  });
  const limits = config.http;
  const uploadSlots = new TenantUploadSlots(config.limits.maxUploadsPerTenant);
  // Any instance fails the PAUSED uploads whose window ended and aborts their multipart uploads.
  const resumeSweep = setInterval(() => {
    uploadService.sweepExpiredPauses().catch((error: unknown) => logger.warn({ err: error }, 'sweep of expired paused uploads failed'));
  }, resumeSweepIntervalMs(config.resume.ttlMs)).unref();
  const readinessChecks: ReadinessCheck[] = [{ name: 'database', check: () => db.ping() }, ...(deps.readinessChecks ?? [])];
  const graphiqlPage = createGraphiQLPage(GRAPHIQL_OPTIONS);

  const yoga: YogaServerInstance<ServerContext, GraphQLContext> = createYoga<ServerContext, GraphQLContext>({
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
      uploads: uploadReader,
      uploadService,
      pubsub: deps.events.pubsub,
      signal,
      logger: logger.child({ requestId, tenant: tenant?.tenantName ?? '(no key)' }),
    }),
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = headerValue(req.headers['x-request-id']) ?? randomUUID();
    res.setHeader('x-request-id', requestId);
    if (connections.isOverCapacity(req.socket)) return refuseOverCapacity(res, limits.maxConnections);
    const requestAbort = requestAbortController(res);
    /**
     * Gives up on the request: its work is aborted with `error`, which is the answer (now, or from
     * the work as it stops: an upload records its failure first); the connection is closed.
     */
    const giveUp = (error: VodError, answerNow: boolean) => {
      closeConnectionAfterAnswer(req, res, TIMED_OUT_ANSWER_GRACE_MS, () => sendGraphQLError(res, error));
      if (answerNow && !res.headersSent) sendGraphQLError(res, error);
      requestAbort.abort(error);
    };
    const isMultipart = isMultipartRequest(req);
    if (!isMultipart) {
      startRequestDeadline(res, limits.requestTimeoutMs, () =>
        giveUp(new VodError('RequestTimeout', `The request was not done within ${limits.requestTimeoutMs} ms.`), true),
      );
    }
    const url = requestUrl(req);
    if (url === undefined) return sendGraphQLError(res, new VodError('InvalidParameter', 'Malformed request target.'));
    if (url.pathname === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (url.pathname === '/readyz') {
      // A stopping instance must leave the load balancer's rotation before anything else.
      if (shuttingDown) return sendJson(res, 503, { ready: false, shuttingDown: true, checks: {} });
      const report = await runReadinessChecks(readinessChecks);
      return sendJson(res, report.ready ? 200 : 503, report);
    }
    if (url.pathname === '/metrics') {
      const rendered = await metrics.render();
      res.writeHead(200, { 'content-type': rendered.contentType });
      res.end(rendered.body);
      return;
    }
    if (isUploadPagePath(url.pathname) && (req.method === 'GET' || req.method === 'HEAD')) {
      return serveUploadPage(url.pathname, req.method, res);
    }
    if (url.pathname !== GRAPHQL_PATH) return sendJson(res, 404, { error: 'Not found' });
    if (isGraphiQLPageRequest(req, url)) return graphiqlPage.serve(req, res);
    // Whatever answers this request (a refusal, an early error), an unread body is dealt with once.
    settleUnreadBodyAfterResponse(req, res);
    let tenant: AuthenticatedTenant | undefined;
    let authFailure: VodError | undefined;
    let releaseUploadSlot: (() => void) | undefined;
    let multipart: MultipartBody | undefined;
    try {
      try {
        tenant = await authenticateRequest(req, apiKeys);
      } catch (error) {
        // No valid key: a multipart upload is refused here; anything else may still read the schema.
        if (!isVodError(error) || error.code !== 'AuthFailure' || isMultipart) throw error;
        authFailure = error;
      }
      if (isMultipart && tenant !== undefined) {
        assertCsrfSafe(req);
        releaseUploadSlot = uploadSlots.tryAcquire(tenant.tenantId);
        if (releaseUploadSlot === undefined) return refuseTooManyUploads(res, uploadSlots.maxPerTenant);
        const watch = new UploadBodyWatch(req, {
          idleMs: limits.uploadIdleTimeoutMs,
          minBytes: limits.uploadIdleMinBytes,
          onIdle: () =>
            giveUp(
              new VodError(
                'RequestTimeout',
                `The upload sent fewer than ${Math.max(1, limits.uploadIdleMinBytes)} bytes in ${limits.uploadIdleTimeoutMs} ms; it was stopped.`,
              ),
              false,
            ),
        });
        res.once('close', watch.stop);
        multipart = await parseMultipartOperations(req, config.limits, { onBodyFlowing: () => watch.start(), signal: requestAbort.signal });
      } else if (req.method === 'POST') {
        await readJsonBody(req, MAX_JSON_BODY_BYTES);
      }
    } catch (error) {
      releaseUploadSlot?.();
      const refusal = toVodError(error);
      if (refusal.code === 'InternalError') logger.error({ err: error }, 'request refused by an internal fault');
      if (!res.headersSent) sendGraphQLError(res, refusal);
      return;
    }
    try {
      await yoga(req, res, { tenant, authFailure, requestId, signal: requestAbort.signal, multipart } as ServerContext);
    } finally {
      releaseUploadSlot?.();
    }
  }

  let shuttingDown = false;
  /** Answers not yet finished, so a close can let them end before cutting connections. */
  const openResponses = new Set<ServerResponse>();
  const server = http.createServer(
    {
      // Node's requestTimeout covers every body, uploads included: ordinary requests get a deadline
      // of their own instead (startRequestDeadline), uploads an idle watch (UploadBodyWatch).
      requestTimeout: 0,
      headersTimeout: limits.headersTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // How often Node looks for connections past the headers timeout.
      connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(limits.headersTimeoutMs / 4))),
    },
    (req, res) => {
      openResponses.add(res);
      res.once('close', () => openResponses.delete(res));
      handle(req, res).catch((error: unknown) => {
        logger.error({ err: error }, 'request handler failed');
        if (!res.headersSent) sendGraphQLError(res, toVodError(error));
        else res.destroy();
      });
    },
  );
  const connections = new ConnectionCap(server, limits.maxConnections);
  const webSocket = attachGraphQLWebSocket({
    server,
    path: GRAPHQL_PATH,
    yoga,
    apiKeys,
    logger,
    connectionInitTimeoutMs: limits.webSocketConnectionInitTimeoutMs,
    keepAliveMs: limits.webSocketKeepAliveMs,
    isOverCapacity: (socket) => connections.isOverCapacity(socket),
  });

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
    async close(options = {}) {
      shuttingDown = true;
      clearInterval(resumeSweep);
      const drained = await uploadService.drain(options.graceMs ?? 0, { hurry: options.hurry });
      if (drained.finished + drained.interrupted > 0) logger.info(drained, 'uploads drained');
      // Subscribers have had their terminal snapshots; graphql-ws closes its sockets with 1001.
      await webSocket.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        void whenEmpty(openResponses, RESPONSE_LINGER_MS).then(() => server.closeAllConnections());
      });
      await yoga.dispose();
    },
  };
}

/** Resolves once the set is empty (polled), or after `ms`. */
async function whenEmpty(set: ReadonlySet<unknown>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (set.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
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

/**
 * The request's cancellation: aborts when the connection closes before the response was sent (the
 * client went away), or earlier with a VodError when the server gives up on the request (a timeout).
 */
function requestAbortController(res: ServerResponse): AbortController {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(new VodError('RequestCanceled', 'The client went away.'));
  });
  return controller;
}

/** A connection past MAX_CONNECTIONS: told so, and closed. */
function refuseOverCapacity(res: ServerResponse, max: number): void {
  res.setHeader('connection', 'close');
  sendGraphQLError(res, new VodError('LimitExceeded', `The server has ${max} connections open, its limit; retry shortly.`), {
    status: 503,
    retryAfterSeconds: RETRY_AFTER_SECONDS,
  });
}

/** A tenant at MAX_UPLOADS_PER_TENANT: refused before its body is read (what was sent is drained or cut). */
function refuseTooManyUploads(res: ServerResponse, max: number): void {
  sendGraphQLError(
    res,
    new VodError('LimitExceeded', `This tenant already runs ${max} uploads on this instance, its limit; wait for one to finish and retry.`),
    { status: 429, retryAfterSeconds: RETRY_AFTER_SECONDS },
  );
}

function requestUrl(req: IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? '/', 'http://localhost');
  } catch {
    return undefined;
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  const single = Array.isArray(value) ? value[0] : value;
  return single !== undefined && /^[\w.-]{1,128}$/.test(single) ? single : undefined;
}

/** A browser asking for the GraphiQL page itself (not running an operation) needs no key. */
function isGraphiQLPageRequest(req: IncomingMessage, url: URL): boolean {
  return req.method === 'GET' && !url.searchParams.has('query') && (req.headers.accept ?? '').includes('text/html');
}
