/** The VOD API over HTTP: `POST /` with X-TC-Action / X-TC-Version, JSON in, Tencent-shaped JSON out. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { CounterName, Counters } from './counters.ts';
import type { Faults } from './faults.ts';
import { BodyTooLargeError, header, readBody, sendJson, splitTarget } from './http-util.ts';
import { requestId as newRequestId } from './ids.ts';
import type { HeldOperation } from './response-holds.ts';
import type { Params } from './params.ts';
import { verifyTc3Request } from './vod-auth.ts';
import { applyUpload, commitUpload, modifyMediaInfo, parseStreamingManifest, type ActionRequest, type ActionResult, type VodContext } from './vod-actions.ts';
import { VodApiError, vodErrors } from './vod-errors.ts';
import { confirmEvents, pullEvents } from './vod-event-actions.ts';
import { deleteMedia, describeMediaInfos } from './vod-media-actions.ts';

export const VOD_VERSION = '2018-07-17';
const BODY_LIMIT = 32 * 1024 * 1024;

type Action = (ctx: VodContext, req: ActionRequest) => ActionResult | Promise<ActionResult>;
const ACTIONS: Readonly<Record<string, Action>> = {
  ApplyUpload: applyUpload,
  CommitUpload: commitUpload,
  ParseStreamingManifest: parseStreamingManifest,
  ModifyMediaInfo: modifyMediaInfo,
  PullEvents: pullEvents,
  ConfirmEvents: confirmEvents,
  DescribeMediaInfos: describeMediaInfos,
  DeleteMedia: deleteMedia,
};
export const VOD_ACTIONS = Object.keys(ACTIONS);

export interface VodHttpDeps {
  readonly ctx: VodContext;
  readonly faults: Faults;
  readonly counters: Counters;
  readonly logger: Logger;
  readonly defaultRegion: string;
}

export function isVodRequest(req: IncomingMessage): boolean {
  return req.headers['x-tc-action'] !== undefined || (header(req.headers, 'authorization') ?? '').startsWith('TC3-');
}

export async function handleVod(req: IncomingMessage, res: ServerResponse, deps: VodHttpDeps): Promise<void> {
  const requestId = newRequestId();
  const action = header(req.headers, 'x-tc-action') ?? '';
  const traceId = header(req.headers, 'x-tc-traceid');
  const extra: Record<string, string> = traceId === undefined ? {} : { 'X-TC-TraceId': traceId };
  try {
    let body: Buffer;
    try {
      body = await readBody(req, BODY_LIMIT);
    } catch (error) {
      if (error instanceof BodyTooLargeError) throw vodErrors.tooLarge();
      throw error;
    }
    const run = ACTIONS[action];
    if (run === undefined) throw action === '' ? vodErrors.missing('X-TC-Action') : vodErrors.invalidAction(action);
    deps.counters.increment(`vod.${action}` as CounterName);
    deps.faults.holds.apply(`vod.${action}` as HeldOperation, res);
    if (header(req.headers, 'x-tc-version') !== VOD_VERSION) throw vodErrors.noSuchVersion();
    const { rawPath, rawQuery } = splitTarget(req.url ?? '/');
    const nowSeconds = deps.ctx.nowSeconds();
    verifyTc3Request({ method: req.method ?? 'POST', rawPath, rawQuery, headers: req.headers, body }, deps.ctx.credentials, nowSeconds);
    const injected = deps.faults.takeVodError(action);
    if (injected !== undefined) {
      deps.counters.increment('fault.vodError');
      throw new VodApiError(injected.code, injected.message ?? `injected ${injected.code}`);
    }
    if (req.method !== 'POST') throw vodErrors.badParameter('only POST with a JSON body is supported');
    if (!(header(req.headers, 'content-type') ?? '').toLowerCase().startsWith('application/json')) {
      throw vodErrors.badParameter('Content-Type must be application/json');
    }
    let params: unknown;
    try {
      params = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch {
      throw vodErrors.badParameter('the body is not valid JSON');
    }
    if (typeof params !== 'object' || params === null || Array.isArray(params)) throw vodErrors.badParameter('the body must be a JSON object');
    const region = header(req.headers, 'x-tc-region') || deps.defaultRegion;
    const result = await run(deps.ctx, { params: params as Params, region, requestId });
    deps.logger.debug({ action, requestId }, 'vod call');
    sendJson(res, 200, { Response: { ...result, RequestId: requestId } }, extra);
  } catch (error) {
    deps.counters.increment('vod.error');
    const e = error instanceof VodApiError ? error : new VodApiError('InternalError', 'internal error');
    if (!(error instanceof VodApiError)) deps.logger.error({ err: error, action, requestId }, 'vod call failed');
    else deps.logger.debug({ action, requestId, code: e.code }, 'vod call refused');
    sendJson(res, 200, { Response: { Error: { Code: e.code, Message: e.message }, RequestId: requestId } }, extra);
  }
}
