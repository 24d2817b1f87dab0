import http, { type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config/config.ts';
import { ApiKeyRepository } from './db/api-key-repository.ts';
import type { Database } from './db/database.ts';
import { distinctSubAppIds, UploadRepository } from './db/upload-repository.ts';
import { VodEventStore } from './db/vod-event-store.ts';
import { VodEventConsumer } from './events/event-consumer.ts';
import { MediaService } from './media/media-service.ts';
import type { VodMediaApi } from './vod/vod-media-api.ts';
import { UploadWriter } from './db/upload-writer.ts';
import { sessionCredentialSeal } from './auth/secret-seal.ts';
import { toVodError } from './errors/vod-error.ts';
import { GRAPHIQL_OPTIONS } from './http/graphiql.ts';
import { createGraphiQLPage } from './http/graphiql-page.ts';
import { createGraphQLServer, GRAPHQL_PATH } from './http/graphql-server.ts';
import type { ReadinessCheck } from './http/readiness.ts';
import { ConnectionCap } from './http/connection-cap.ts';
import { createRequestHandler } from './http/request-handler.ts';
import { sendGraphQLError } from './http/respond.ts';
import { TenantUploadSlots } from './http/tenant-upload-slots.ts';
import { attachGraphQLWebSocket } from './http/websocket.ts';
import type { Logger } from './logging/logger.ts';
import { UploadMetrics } from './metrics/upload-metrics.ts';
import type { PipelineDependencies } from './pipeline/upload-pipeline.ts';
import type { UploadEventBus } from './uploads/upload-events.ts';
import { UploadService } from './uploads/upload-service.ts';
import { StorageCleanupRepository } from './db/storage-cleanup-repository.ts';
import { StorageCleaner } from './uploads/storage-cleaner.ts';
import type { ResolveAll } from './webhooks/endpoint-address.ts';
import { startWebhooks } from './webhooks/webhooks-runtime.ts';
import { createDirectUploads, startDirectUploadSweep, type DirectUploads } from './direct/direct-uploads.ts';
import { parseDirectSourceContext } from './direct/direct-context.ts';

export interface AppDependencies {
  readonly config: Config;
  readonly db: Database;
  readonly logger: Logger;
  readonly pipeline: PipelineDependencies;
  readonly events: UploadEventBus;
  /** Names this process on the uploads it runs (see recovery). */
  readonly instanceId: string;
  /** VOD's media API (events, media information, deletion) of an access region. */
  readonly vodMediaFor: (region: string) => VodMediaApi;
  /** Besides the database, what /readyz must find reachable (e.g. the VOD endpoint). */
  readonly readinessChecks?: readonly ReadinessCheck[];
  /** Name resolution for webhook endpoint checks (tests inject a stub). */
  readonly resolveAll?: ResolveAll;
}

export interface App {
  readonly server: http.Server;
  readonly apiKeys: ApiKeyRepository;
  readonly uploads: UploadService;
  readonly metrics: UploadMetrics;
  readonly directUploads: DirectUploads;
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

/** At close, after the uploads have settled: how long answers still being written (and streams) may take. */
const RESPONSE_LINGER_MS = 3_000;

/** Builds the HTTP server (GraphQL over HTTP, SSE and WebSocket; health; metrics). Reads no environment. */
export function createApp(deps: AppDependencies): App {
  const { config, db, logger } = deps;
  const apiKeys = new ApiKeyRepository(db.prisma);
  const uploadReader = new UploadRepository(db.prisma);
  const metrics = new UploadMetrics();
  const credentialSeal = sessionCredentialSeal(config.resume.credentialsKey, deps.pipeline.fallbackCredentials.secretKey);
  const writer = new UploadWriter(db, credentialSeal);
  const uploadService = new UploadService({
    reader: uploadReader,
    writer,
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
  // Any instance fails the PAUSED uploads whose window ended and aborts their multipart uploads.
  const resumeSweep = setInterval(() => {
    uploadService.sweepExpiredPauses().catch((error: unknown) => logger.warn({ err: error }, 'sweep of expired paused uploads failed'));
  }, resumeSweepIntervalMs(config.resume.ttlMs)).unref();
  const media = new MediaService({ reader: uploadReader, writer, pubsub: deps.events.pubsub, vodMediaFor: deps.vodMediaFor });
  const vodEvents =
    config.vodEvents === 'pull'
      ? new VodEventConsumer({
          api: deps.vodMediaFor(config.vod.region),
          store: new VodEventStore(db, (sourceContext) => parseDirectSourceContext(sourceContext, deps.pipeline.fallbackCredentials.secretKey)),
          reader: uploadReader,
          pubsub: deps.events.pubsub,
          metrics,
          logger: logger.child({ component: 'vod-events' }),
          subAppIds: () => distinctSubAppIds(db.prisma),
        })
      : undefined;
  vodEvents?.start();
  const directUploads = createDirectUploads(db.prisma, config, { pubsub: deps.events.pubsub, metrics, signingKey: deps.pipeline.fallbackCredentials });
  const stopDirectSweep = startDirectUploadSweep(directUploads, config.direct.graceMs, logger);
  const graphiqlPage = createGraphiQLPage(GRAPHIQL_OPTIONS);
  const webhooks = startWebhooks({ db, seal: credentialSeal, config: config.webhooks, logger, resolveAll: deps.resolveAll });
  const graphql = createGraphQLServer({ logger, uploads: uploadReader, uploadService, media, directUploads, pubsub: deps.events.pubsub, webhooks: webhooks.endpoints, graphiqlPage });

  let shuttingDown = false;
  const handle = createRequestHandler({
    config,
    logger,
    apiKeys,
    metrics,
    graphql,
    graphiqlPage,
    uploadSlots: new TenantUploadSlots(config.limits.maxUploadsPerTenant),
    readinessChecks: [{ name: 'database', check: () => db.ping() }, ...(deps.readinessChecks ?? [])],
    // Called for requests only, once the server (and so `connections`) exists.
    isOverCapacity: (socket) => connections.isOverCapacity(socket),
    isShuttingDown: () => shuttingDown,
  });
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
    yoga: graphql,
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
    directUploads,
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
      stopDirectSweep();
      const drained = await uploadService.drain(options.graceMs ?? 0, { hurry: options.hurry });
      if (drained.finished + drained.interrupted > 0) logger.info(drained, 'uploads drained');
      // Subscribers have had their terminal snapshots; graphql-ws closes its sockets with 1001.
      await webSocket.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        void whenEmpty(openResponses, RESPONSE_LINGER_MS).then(() => server.closeAllConnections());
      });
      await vodEvents?.stop();
      await graphql.dispose();
      await webhooks.stop();
    },
  };
}

/** Resolves once the set is empty (polled), or after `ms`. */
async function whenEmpty(set: ReadonlySet<unknown>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (set.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** A tenth of the resume window, between 1 s and 1 min: an expired upload waits little past its end. */
function resumeSweepIntervalMs(ttlMs: number): number {
  return Math.min(60_000, Math.max(1_000, Math.floor(ttlMs / 10)));
}
