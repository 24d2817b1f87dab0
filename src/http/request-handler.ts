import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Config } from '../config/config.ts';
import type { ApiKeyRepository, AuthenticatedTenant } from '../db/api-key-repository.ts';
import { isVodError, toVodError, VodError } from '../errors/vod-error.ts';
import { MAX_JSON_BODY_BYTES } from '../graphql/query-limits.ts';
import type { Logger } from '../logging/logger.ts';
import type { UploadMetrics } from '../metrics/upload-metrics.ts';
import { authenticateRequest } from './authenticate.ts';
import type { GraphiQLPage } from './graphiql-page.ts';
import { assertCsrfSafe, isMultipartRequest, parseMultipartOperations, type MultipartBody } from './graphql-multipart.ts';
import { GRAPHQL_PATH, type GraphQLServer } from './graphql-server.ts';
import { readJsonBody } from './json-body.ts';
import { runReadinessChecks, type ReadinessCheck } from './readiness.ts';
import { closeConnectionAfterAnswer, startRequestDeadline } from './request-deadline.ts';
import {
  headerValue,
  isGraphiQLPageRequest,
  refuseOverCapacity,
  refuseTooManyUploads,
  requestAbortController,
  requestUrl,
  settleUnreadBodyAfterResponse,
} from './request-helpers.ts';
import { sendGraphQLError, sendJson } from './respond.ts';
import type { ServerContext } from './server-context.ts';
import type { TenantUploadSlots } from './tenant-upload-slots.ts';
import { UploadBodyWatch } from './upload-body-watch.ts';
import { isUploadPagePath, serveUploadPage } from './upload-page.ts';

/** After a timeout, how long the work of the request may take to answer (an upload cleans up first). */
const TIMED_OUT_ANSWER_GRACE_MS = 10_000;

export interface RequestHandlerDependencies {
  readonly config: Pick<Config, 'http' | 'limits'>;
  readonly logger: Logger;
  readonly apiKeys: ApiKeyRepository;
  readonly metrics: UploadMetrics;
  readonly graphql: GraphQLServer;
  readonly graphiqlPage: GraphiQLPage;
  readonly uploadSlots: TenantUploadSlots;
  readonly readinessChecks: readonly ReadinessCheck[];
  readonly isOverCapacity: (socket: Socket) => boolean;
  readonly isShuttingDown: () => boolean;
}

/**
 * Every HTTP request: health, readiness, metrics, the upload page, GraphiQL, and GraphQL, with the
 * key, the CSRF check, the per-tenant upload slots, deadlines and idle watches in front of it.
 */
export function createRequestHandler(deps: RequestHandlerDependencies): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { config, logger } = deps;
  const limits = config.http;
  return async function handle(req, res) {
    const requestId = headerValue(req.headers['x-request-id']) ?? randomUUID();
    res.setHeader('x-request-id', requestId);
    if (deps.isOverCapacity(req.socket)) return refuseOverCapacity(res, limits.maxConnections);
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
      if (deps.isShuttingDown()) return sendJson(res, 503, { ready: false, shuttingDown: true, checks: {} });
      const report = await runReadinessChecks(deps.readinessChecks);
      return sendJson(res, report.ready ? 200 : 503, report);
    }
    if (url.pathname === '/metrics') {
      const rendered = await deps.metrics.render();
      res.writeHead(200, { 'content-type': rendered.contentType });
      res.end(rendered.body);
      return;
    }
    if (isUploadPagePath(url.pathname) && (req.method === 'GET' || req.method === 'HEAD')) {
      return serveUploadPage(url.pathname, req.method, res);
    }
    if (url.pathname !== GRAPHQL_PATH) return sendJson(res, 404, { error: 'Not found' });
    if (isGraphiQLPageRequest(req, url)) return deps.graphiqlPage.serve(req, res);
    // Whatever answers this request (a refusal, an early error), an unread body is dealt with once.
    settleUnreadBodyAfterResponse(req, res);
    let tenant: AuthenticatedTenant | undefined;
    let authFailure: VodError | undefined;
    let releaseUploadSlot: (() => void) | undefined;
    let multipart: MultipartBody | undefined;
    try {
      try {
        tenant = await authenticateRequest(req, deps.apiKeys);
      } catch (error) {
        // No valid key: a multipart upload is refused here; anything else may still read the schema.
        if (!isVodError(error) || error.code !== 'AuthFailure' || isMultipart) throw error;
        authFailure = error;
      }
      if (isMultipart && tenant !== undefined) {
        assertCsrfSafe(req);
        releaseUploadSlot = deps.uploadSlots.tryAcquire(tenant.tenantId);
        if (releaseUploadSlot === undefined) return refuseTooManyUploads(res, deps.uploadSlots.maxPerTenant);
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
      await deps.graphql(req, res, { tenant, authFailure, requestId, signal: requestAbort.signal, multipart } as ServerContext);
    } finally {
      releaseUploadSlot?.();
    }
  };
}
