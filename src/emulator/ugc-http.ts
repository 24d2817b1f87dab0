/**
 * VOD's client-upload API over HTTP, as vod-js-sdk-v6 calls it at vod2.qcloud.com:
 * `POST /v3/index.php?Action=ApplyUploadUGC|CommitUploadUGC|PrepareUploadUGC` with a JSON body,
 * answered `{"code": 0, "message": "", "data": {…}}` (errors: a non-zero code, HTTP 200).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Counters } from './counters.ts';
import { BodyTooLargeError, parseQuery, readBody, sendJson, splitTarget } from './http-util.ts';
import { requestId as newRequestId } from './ids.ts';
import { applyUploadUGC, commitUploadUGC, prepareUploadUGC, type UgcBody, type UgcContext } from './ugc-actions.ts';
import { UGC_CODES, UgcError, ugcErrors } from './ugc-errors.ts';

const BODY_LIMIT = 64 * 1024;
export const UGC_PATH = '/v3/index.php';

export interface UgcHttpDeps {
  readonly ctx: UgcContext;
  readonly counters: Counters;
  readonly logger: Logger;
}

export function isUgcRequest(req: IncomingMessage): boolean {
  return splitTarget(req.url ?? '/').rawPath === UGC_PATH;
}

async function readJson(req: IncomingMessage): Promise<UgcBody> {
  let body: Buffer;
  try {
    body = await readBody(req, BODY_LIMIT);
  } catch (error) {
    if (error instanceof BodyTooLargeError) throw ugcErrors.invalidRequest('body too large');
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    throw ugcErrors.invalidRequest('the body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw ugcErrors.invalidRequest('the body must be a JSON object');
  return parsed as UgcBody;
}

export async function handleUgc(req: IncomingMessage, res: ServerResponse, deps: UgcHttpDeps): Promise<void> {
  const requestId = newRequestId();
  const action = parseQuery(splitTarget(req.url ?? '/').rawQuery).get('action') ?? '';
  try {
    if (req.method !== 'POST') throw ugcErrors.invalidRequest('only POST');
    const body = await readJson(req);
    let data: Readonly<Record<string, unknown>>;
    if (action === 'ApplyUploadUGC') {
      deps.counters.increment('ugc.ApplyUploadUGC');
      data = await applyUploadUGC(deps.ctx, body);
    } else if (action === 'CommitUploadUGC') {
      deps.counters.increment('ugc.CommitUploadUGC');
      data = await commitUploadUGC(deps.ctx, body, requestId);
    } else if (action === 'PrepareUploadUGC') {
      data = prepareUploadUGC(deps.ctx);
    } else {
      throw ugcErrors.invalidRequest(`unknown Action ${JSON.stringify(action)}`);
    }
    sendJson(res, 200, { code: 0, message: '', requestId, data });
  } catch (error) {
    deps.counters.increment('ugc.error');
    if (!(error instanceof UgcError)) deps.logger.error({ err: error, action, requestId }, 'client-upload call failed');
    const e = error instanceof UgcError ? error : new UgcError(UGC_CODES.internal, 'ugc upload | internal error');
    sendJson(res, 200, { code: e.code, message: e.message, requestId });
  }
}
